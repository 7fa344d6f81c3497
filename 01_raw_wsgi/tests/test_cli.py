"""`python server.py`: the startup line, Ctrl-C, and one clear line for mistakes."""

import contextlib
import re
import select
import signal
import socket
import subprocess
import sys

import pytest
from raw_http import RawClient, http_request, request_bytes

STARTUP_LINE = re.compile(
    r"Serving (\S+) on http://127\.0\.0\.1:(\d+) \(press Ctrl-C to stop\)\n"
)


@contextlib.contextmanager
def server_process(arguments, cwd):
    """Run `python server.py ARGUMENTS` in `cwd`; yield (process, startup match)."""
    command = [sys.executable, *arguments]
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 15)
        line = process.stdout.readline() if ready else ""
        match = STARTUP_LINE.fullmatch(line)
        assert match, f"no startup line, got {line!r}"
        yield process, match
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_port_0_prints_the_real_port_and_ctrl_c_stops_cleanly(step_dir):
    with server_process(["server.py", "--port", "0"], step_dir) as (process, match):
        assert match.group(1) == "app:application"  # the default
        port = int(match.group(2))
        assert port != 0
        with RawClient(("127.0.0.1", port)) as client:
            client.send(request_bytes("GET", "/hello", headers="Connection: close\r\n"))
            assert b"Hello, world!" in client.read_response().body
            client.read_until_closed()  # the access-log line is written by now
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert output == "Stopped.\n"
    assert "Traceback" not in errors
    assert '"GET /hello HTTP/1.1" 200' in errors  # the access log


def test_module_callable_is_imported_from_the_current_folder(step_dir, tmp_path):
    (tmp_path / "hi.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Length', '3')])\n"
        "    return [b'hi\\n']\n"
    )
    server = str(step_dir / "server.py")  # run from elsewhere, like step 02 does
    with server_process([server, "--port", "0", "hi:app"], tmp_path) as (_, match):
        assert match.group(1) == "hi:app"
        address = ("127.0.0.1", int(match.group(2)))
        assert http_request(address, request_bytes()).body == b"hi\n"


def run_server(arguments, cwd):
    """Run server.py expecting it to stop at once; return the finished process."""
    command = [sys.executable, *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch:application", "no module 'nosuch'"),
        ("app:nothing", "app.py has no callable named 'nothing'"),
        ("app:HOME_PAGE", "app.py has no callable named 'HOME_PAGE'"),  # a str
        ("broken:app", "importing 'broken' failed: RuntimeError: boom"),
    ],
)
def test_a_bad_module_callable_is_one_clear_line_and_exit_code_2(
    step_dir, tmp_path, spec, message
):
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    for name in ("app.py", "server.py", "http11.py", "command_line.py"):
        (tmp_path / name).write_text((step_dir / name).read_text())
    result = run_server(["server.py", "--port", "0", spec], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert message in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_one_clear_line_and_exit_code_2(step_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_server(["server.py", "--port", str(port)], step_dir)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: "
        f"port {port} is already in use; pick another with --port\n"
    )


@pytest.mark.parametrize("seconds", ["-1", "0", "nan", "soon"])
def test_a_timeout_that_is_not_positive_is_refused(step_dir, seconds):
    result = run_server(["server.py", "--port", "0", "--timeout", seconds], step_dir)
    assert result.returncode == 2
    assert "is not a number of seconds above 0" in result.stderr
