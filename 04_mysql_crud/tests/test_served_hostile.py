"""Hostile requests over a real socket to `flask run` and to gunicorn, no nginx.

What the test client cannot send: a chunked body (RFC 9112 §7.1), a method in
lowercase, a request line the server refuses before the app sees it. Each
server runs in its own process from this step's folder, started once for all
the tests here, on one database.
"""

import contextlib
import json
import os
import sys

import pytest
from raw_http import exchange

LIMIT = 64 * 1024  # MAX_CONTENT_LENGTH in app.py


def serve_command(server: str, port: int) -> list[str]:
    """`flask run` or gunicorn, serving create_app() on 127.0.0.1:port."""
    if server == "flask run":
        return [sys.executable, "-m", "flask", "run", "--port", str(port)]
    gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
    return [*gunicorn, "--bind", f"127.0.0.1:{port}", "app:create_app()"]


@pytest.fixture(scope="module")
def served(step_dir, module_database, free_port, run_server):
    """`port = served("flask run")`: that server's port. Each server starts once
    for this module's tests (they never change it), on one database."""
    ports = {}
    with contextlib.ExitStack() as running:

        def port_of(server: str) -> int:
            """Start `server` the first time a test asks for it; give its port."""
            if server not in ports:
                port = free_port()
                environment = dict(os.environ)
                environment.pop("FLASK_APP", None)
                environment.pop("FLASK_DEBUG", None)
                environment.update(module_database)
                command = serve_command(server, port)
                running.enter_context(
                    run_server(command, port, cwd=step_dir, env=environment)
                )
                ports[server] = port
            return ports[server]

        yield port_of


@pytest.fixture(params=["flask run", "gunicorn"])
def port(request, served):
    """Each test runs against both servers."""
    return served(request.param)


@pytest.fixture
def dev_port(served):
    """`flask run` only: for what the development server answers by itself."""
    return served("flask run")


def json_body_of_size(size: int) -> bytes:
    """A JSON book of exactly `size` bytes (its title is too long: a 422)."""
    start, end = b'{"author": "A", "title": "', b'"}'
    return start + b"x" * (size - len(start) - len(end)) + end


def post(body: bytes, chunked: bool) -> bytes:
    """POST /books with `body`, sent chunked or with a Content-Length."""
    head = "POST /books HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "Content-Type: application/json\r\n"
    if not chunked:
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
    # Two chunks, to be sure the server really puts them together.
    half = len(body) // 2
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:])
    )
    return f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunks + b"0\r\n\r\n"


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
def test_a_body_of_exactly_64_kib_is_read_whichever_way_it_comes(port, chunked):
    status, _, body = exchange(port, post(json_body_of_size(LIMIT), chunked))
    assert status == 422, body  # read and checked: the title is too long
    assert json.loads(body)["errors"][0]["field"] == "title"


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
def test_one_byte_more_is_413_whichever_way_it_comes(port, chunked):
    status, headers, _ = exchange(port, post(json_body_of_size(LIMIT + 1), chunked))
    assert status == 413
    assert headers["content-type"] == "application/problem+json"


def test_the_development_server_refuses_a_lowercase_method_as_nginx_does(dev_port):
    request = b"get /books HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    status, headers, body = exchange(dev_port, request)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert "case-sensitive" in json.loads(body)["detail"]


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"GET /books?q=" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (
            b"GET /books HTTP/1.1\r\n"
            + b"".join(b"X-%d: 1\r\n" % n for n in range(150))
            + b"\r\n",
            431,
        ),
        (b"GET /books HTTP/9.9\r\n\r\n", 505),
        (b"GET /books HTTP/1.1 extra\r\n\r\n", 400),
    ],
    ids=["request line over 64 KiB", "over 100 headers", "HTTP/9.9", "bad line"],
)
def test_what_the_development_server_refuses_itself_is_problem_details(
    dev_port, request_bytes, expected
):
    status, headers, body = exchange(dev_port, request_bytes)
    assert status == expected
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == expected
