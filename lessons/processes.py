"""Starting and stopping the servers the tooling runs, so that none outlives us.

Every server starts through `start()`: in a process group of its own (stopping
the group stops the workers it forks: gunicorn's, nginx's), and on Linux with a
parent-death signal, so the kernel sends it SIGTERM (a database server: SIGKILL)
the moment the process that started it dies, even of a SIGKILL that runs no
cleanup code at all. Each start is also noted in `.lessons/started/`; the next
`lessons` command stops whatever an earlier one left behind (`stop_leftovers`),
when the pid still names the process we started (its start time tells), never
a stranger that got its number.
"""

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

# Where starts are noted; LESSONS_STARTED moves it (a test needs its own).
STARTED = Path(
    os.environ.get("LESSONS_STARTED")
    or Path(__file__).resolve().parent.parent / ".lessons" / "started"
)
# prctl() from <sys/prctl.h>, looked up once, here: between fork and exec the
# child should do nothing but call it.
PRCTL = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1
TICK = 0.01  # seconds between two looks at a server that starts or stops


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the operating system for a port nobody is using right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on host:port."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def start(
    command: list[str],
    outlive: bool = False,
    log: Path | None = None,
    death_signal: int = signal.SIGTERM,
    **options,
) -> subprocess.Popen:
    """Popen `command` in a group of its own; unless `outlive`, it dies with us
    (Linux sends it `death_signal` when we die). Its output is added to the
    file `log` when one is given."""
    if not outlive and PRCTL is not None:
        # In the child, before exec: ask Linux for the signal when we die.
        options["preexec_fn"] = partial(PRCTL, PR_SET_PDEATHSIG, death_signal)
    with log.open("ab") if log else contextlib.nullcontext() as output:
        if output:
            options.update(stdout=output, stderr=subprocess.STDOUT)
        process = subprocess.Popen(command, start_new_session=True, **options)
    if not outlive:  # noted for stop_leftovers()
        note = {"owner": os.getpid(), "pid": process.pid}
        note["started"] = start_time(process.pid)
        with contextlib.suppress(OSError):
            STARTED.mkdir(parents=True, exist_ok=True)
            (STARTED / f"{process.pid}.json").write_text(json.dumps(note))
    return process


def command_line(pid: int) -> str | None:
    """The command line of a running process (Linux), or None."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return None


def process_stat(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [0] the state ("Z": a zombie),
    [19] the start time in clock ticks after boot; [] when it cannot be read."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return []


def start_time(pid: int) -> str | None:
    """With the pid, it names one process for good: a reused pid starts later.
    From /proc (Linux), else from ps (macOS), to the second; None if gone."""
    fields = process_stat(pid)
    if len(fields) > 19:
        return fields[19]
    command = ["ps", "-o", "lstart=", "-p", str(pid)]
    with contextlib.suppress(OSError):  # no ps either (a slim container)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.stdout.strip() or None
    return None


def alive(pid: int) -> bool:
    """True when a process with this id exists and has not ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it belongs to another user
    # A zombie has ended; it only waits for its parent to read its exit code.
    return process_stat(pid)[:1] != ["Z"]


def stop_leftovers() -> list[int]:
    """Stop the processes of earlier commands whose owner is gone; their pids."""
    stopped = []
    for path in STARTED.glob("*.json"):  # none when the folder does not exist
        with contextlib.suppress(OSError, ValueError):
            note = json.loads(path.read_text())
            if alive(note["owner"]):
                continue  # still in use by the command that started it
            # A pid can be reused: only stop the process we really started
            # (with no start time to compare, stop nothing).
            started = note["started"]
            if started and alive(note["pid"]) and start_time(note["pid"]) == started:
                stop_group(note["pid"])
                stopped.append(note["pid"])
            path.unlink()
    return stopped


def stop_group(pid: int, timeout: float = 10.0, at_once: bool = False) -> None:
    """SIGTERM the process group of `pid`, then SIGKILL it if it takes longer
    than `timeout` seconds (`at_once`: SIGKILL straight away); wait for `pid`."""
    patience = {signal.SIGTERM: timeout, signal.SIGKILL: 5.0}  # seconds
    for signal_number in [signal.SIGKILL] if at_once else patience:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal_number)
        deadline = time.monotonic() + patience[signal_number]
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            if not alive(pid):
                return
            time.sleep(TICK)


def stop(process: subprocess.Popen, timeout: float = 10.0, at_once: bool = False):
    """Stop a process we started and everything it forked; safe to repeat."""
    if process.poll() is None:
        stop_group(process.pid, timeout, at_once)
        process.wait()
    with contextlib.suppress(OSError):
        (STARTED / f"{process.pid}.json").unlink()


def serve(command: list[str], **options) -> int:
    """Run a server in the foreground until it ends or Ctrl-C; its exit code."""
    process = start(command, **options)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)  # it is in a session of its own: Ctrl-C did not reach it


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until 127.0.0.1:port accepts connections; fail early if `process` dies."""
    deadline = time.monotonic() + timeout
    while not port_in_use(port):
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited with code {process.returncode}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"nothing answered on 127.0.0.1:{port} in {timeout:.0f} s"
            )
        time.sleep(TICK)


def tail(path: Path) -> str:
    """The last 3000 characters of a log file ('' when there is none yet)."""
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextlib.contextmanager
def running(
    command: list[str],
    port: int,
    log: Path | None = None,
    stop_at_once: bool = False,
    **options,
) -> Iterator[subprocess.Popen]:
    """Run a server that listens on 127.0.0.1:port for the `with` block.

    Its output goes to `log` (default: a temporary file, shown if it does not
    start): a pipe that nobody reads would fill up and stop a chatty server.
    """
    with tempfile.TemporaryDirectory() as folder:
        log = log or Path(folder) / "output.log"
        process = start(command, log=log, **options)
        try:
            wait_for_port(port, process)
        except (RuntimeError, TimeoutError) as error:
            stop(process)
            raise RuntimeError(f"{error}\n--- its output ---\n{tail(log)}") from None
        try:
            yield process
        finally:
            stop(process, at_once=stop_at_once)


@contextlib.contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Treat SIGTERM and SIGHUP like Ctrl-C in the block, so cleanup code runs:
    by default those signals (`kill`, a closed terminal, a CI timeout) end
    Python at once, skipping every `finally`. The old handlers come back after."""

    def interrupt(signal_number: int, frame: object) -> None:
        raise KeyboardInterrupt(f"stopped by signal {signal_number}")

    wanted = (signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, interrupt) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_python(program: str, cwd: Path, env: dict[str, str], *args: str) -> str:
    """What `python -c program` printed in `cwd` (where `import app` finds the
    step's app.py); a failure raises RuntimeError with its stderr."""
    command = [sys.executable, "-c", program, *args]
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"python in {cwd} failed:\n{done.stderr.strip()}")
    return done.stdout
