"""gunicorn, a production WSGI server, gives the same answers as ours.

Same app.py, two servers: the application only knows the WSGI interface, so it
can't tell them apart. gunicorn runs in its own process, as the README shows.
"""

import sys

import pytest
from raw_http import http_request, request_bytes

REQUESTS = {
    "home page": request_bytes("GET", "/"),
    "hello": request_bytes("GET", "/hello?name=Ada"),
    "hello, escaped": request_bytes("GET", "/hello?name=%3Cb%3EAda%3C/b%3E"),
    "hello, UTF-8": request_bytes("GET", "/hello?name=Zo%C3%AB"),
    "echo": request_bytes(
        "POST", "/echo", b'{"x": 1}', "Content-Type: application/json\r\n"
    ),
    "echo, binary": request_bytes("POST", "/echo", bytes(range(256))),
    "not found": request_bytes("GET", "/no/such/page"),
    "wrong method": request_bytes("DELETE", "/echo"),
    "HEAD": request_bytes("HEAD", "/hello"),
    "HTTP/1.0": request_bytes("GET", "/hello?name=old", version="HTTP/1.0"),
}
COMPARED_HEADERS = ["Content-Type", "Content-Length", "Allow"]


@pytest.fixture(scope="module")
def gunicorn_address(step_dir, free_port, run_server):
    """gunicorn serving app:application from the step folder."""
    port = free_port()
    # --no-control-socket: gunicorn 27 would create ~/.gunicorn/ for nothing.
    command = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
    command += ["--workers", "1", "--bind", f"127.0.0.1:{port}", "app:application"]
    with run_server(command, port, cwd=step_dir):
        yield ("127.0.0.1", port)


@pytest.mark.parametrize("data", REQUESTS.values(), ids=REQUESTS.keys())
def test_gunicorn_and_our_server_give_the_same_answers(address, gunicorn_address, data):
    method = data.split(b" ")[0].decode()
    ours = http_request(address, data, method)
    theirs = http_request(gunicorn_address, data, method)
    assert ours.status == theirs.status
    assert ours.body == theirs.body
    for name in COMPARED_HEADERS:
        assert ours.header(name) == theirs.header(name), name
