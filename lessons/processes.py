"""Starting and stopping servers on loopback, for the tests and `lessons run`."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the operating system for a port nobody is using right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_for_port(
    port: int,
    host: str = "127.0.0.1",
    timeout: float = 15.0,
    process: subprocess.Popen | None = None,
) -> None:
    """Wait until host:port accepts connections; fail early if `process` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            code = process.returncode
            raise RuntimeError(f"{process.args!r} exited with code {code}")
        if port_in_use(port, host):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} after {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a process and everything it started: SIGTERM first, then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running(
    command: list[str],
    port: int,
    cwd: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    timeout: float = 15.0,
) -> Iterator[subprocess.Popen]:
    """Run `command` (a server that will listen on host:port) for the `with` block.

    The process gets its own process group, so stopping it also stops any workers
    it forked (gunicorn, nginx). Its output goes to a pipe that is shown if it
    fails to start.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_for_port(port, host, timeout, process)
        except (RuntimeError, TimeoutError) as error:
            stop(process)
            output = process.stdout.read().decode(errors="replace")
            raise RuntimeError(f"{error}\n--- its output ---\n{output}") from None
        yield process
    finally:
        stop(process)
        if process.stdout:
            process.stdout.close()


def run_python(
    program: str, cwd: str | os.PathLike, env: dict[str, str], *args: str
) -> str:
    """Run `python -c program` in a fresh process in `cwd`; return what it printed.

    `python -c` puts `cwd` first on sys.path, so `import app` finds that folder's
    app.py, as `flask run` does. A failure raises RuntimeError with its stderr.
    """
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python in {cwd} failed:\n{result.stderr.strip()}")
    return result.stdout
