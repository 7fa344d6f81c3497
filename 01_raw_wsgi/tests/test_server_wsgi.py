"""Our server keeps PEP 3333's side of the deal with the application.

start_response and its exc_info rules, write(), headers held back until the first
body bytes, the app's Content-Length obeyed, chunks when there is none, and the
body's close() called every time: on success, on errors, when the client leaves.
"""

import sys
import threading

import pytest
from flask import Flask, request
from raw_http import RawClient, http_request, request_bytes

WAIT = 5.0  # seconds a test waits for the server thread before it calls it a bug


class RecordingBody:
    """A response body that records close(); it can fail or wait along the way."""

    def __init__(self, parts, fail_after=None, wait_for=None):
        self.parts = parts
        self.fail_after = fail_after  # raise after yielding this many parts
        self.wait_for = wait_for  # an Event to wait on after the first part
        self.closed = threading.Event()
        self.parts_yielded = 0

    def __iter__(self):
        for number, part in enumerate(self.parts):
            if number == self.fail_after:
                raise RuntimeError("the app broke in the middle of the body")
            if number == 1 and self.wait_for is not None:
                self.wait_for.wait(WAIT)
            self.parts_yielded += 1
            yield part

    def close(self):
        self.closed.set()

    def app(self, environ, start_response):
        """A WSGI app whose body is this object."""
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self


def test_close_is_called_after_a_normal_response(serve):
    body = RecordingBody([b"hello"])
    assert http_request(serve(body.app), request_bytes()).body == b"hello"
    assert body.closed.wait(WAIT)


def test_close_is_called_and_the_connection_cut_when_the_app_fails_mid_body(serve):
    body = RecordingBody([b"partial", b"never sent"], fail_after=1)
    address = serve(body.app)
    with RawClient(address) as client:
        client.send(request_bytes())
        status, _ = client.read_head()
        rest = client.read_until_closed()
    assert status == 200  # the headers were already out: too late for a 500
    assert rest == b"7\r\npartial\r\n"  # and no final 0-chunk: the body is cut short
    assert body.closed.wait(WAIT)
    assert "RuntimeError: the app broke" in serve.log.getvalue()


def test_close_is_called_when_the_client_disconnects_mid_response(serve):
    client_gone = threading.Event()
    body = RecordingBody([b"first"] + [b"x" * 65536] * 1000, wait_for=client_gone)
    address = serve(body.app)
    try:
        with RawClient(address) as client:
            client.send(request_bytes())
            client.read_head()
            assert client.reader.readline() == b"5\r\n"  # the first chunk arrived
    finally:
        client_gone.set()  # the client has hung up: let the app go on
    assert body.closed.wait(WAIT)
    assert body.parts_yielded < len(body.parts)  # it stopped because the client left


def test_app_exception_before_the_body_is_a_500_without_the_traceback(serve):
    def failing_app(environ, start_response):
        raise RuntimeError("secret internals")

    response = http_request(serve(failing_app), request_bytes())
    assert response.status == 500
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.header("Connection") == "close"
    assert b"secret" not in response.body
    assert b"Traceback" not in response.body
    assert "RuntimeError: secret internals" in serve.log.getvalue()  # for you


def test_exc_info_before_the_headers_went_out_replaces_the_response(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("found a problem before the body")
        except ValueError:
            headers = [("Content-Type", "text/plain"), ("Content-Length", "6")]
            start_response("503 Service Unavailable", headers, sys.exc_info())
        return [b"sorry\n"]

    response = http_request(serve(app), request_bytes())
    assert (response.status, response.body) == (503, b"sorry\n")


def test_exc_info_after_the_headers_went_out_closes_the_connection(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        try:
            raise ValueError("found a problem in the middle of the body")
        except ValueError:
            # The headers are sent: start_response re-raises (PEP 3333).
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never sent"

    with RawClient(serve(app)) as client:
        client.send(request_bytes())
        status, _ = client.read_head()
        assert status == 200
        assert client.read_until_closed() == b"7\r\npartial\r\n"


def start_twice(environ, start_response):
    start_response("200 OK", [])
    start_response("404 Not Found", [])  # no exc_info: not allowed
    return [b""]


def bad_start(status, headers, body=(b"body",)):
    """An app that calls start_response with these arguments."""

    def app(environ, start_response):
        start_response(status, headers)
        return list(body)

    return app


def str_body(environ, start_response):
    start_response("200 OK", [])
    return ["text, not bytes"]


@pytest.mark.parametrize(
    "app",
    [
        start_twice,
        bad_start("200", []),  # no reason phrase
        bad_start("OK 200", []),
        bad_start(b"200 OK", []),  # bytes, not str
        bad_start("100 Continue", []),  # 1xx is for the server to send
        bad_start("200 ☃", []),  # not latin-1
        bad_start("200 OK", (("Content-Type", "text/plain"),)),  # not a list
        bad_start("200 OK", [("X-Evil", "a\r\nSet-Cookie: stolen=1")]),
        bad_start("200 OK", [("Bad Name", "x")]),
        bad_start("200 OK", [("Connection", "close")]),  # hop-by-hop: server's job
        bad_start("200 OK", [("X-Name", "Zoë ☃")]),  # not latin-1
        bad_start("200 OK", [("Content-Length", "lots")]),
        bad_start("200 OK", [("Content-Length", "lots")], body=[]),
        str_body,
    ],
    ids=[
        "start_response twice",
        "status without reason",
        "status backwards",
        "status as bytes",
        "1xx status",
        "status not latin-1",
        "headers as a tuple",
        "CRLF in a header value",
        "space in a header name",
        "hop-by-hop header",
        "header not latin-1",
        "Content-Length not a number",
        "bad Content-Length and no body",
        "body of str",
    ],
)
def test_a_broken_app_gets_a_500_and_the_server_keeps_serving(serve, app):
    address = serve(app)
    response = http_request(address, request_bytes())
    assert response.status == 500
    assert b"Set-Cookie" not in response.body
    assert http_request(address, request_bytes()).status == 500  # still answering


def test_write_callable_sends_parts_of_the_body(serve):
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"hello ")
        write(b"world")
        return []

    response = http_request(serve(app), request_bytes())
    assert response.body == b"hello world"


def test_a_body_without_content_length_is_sent_in_chunks(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ab", b"", b"cd"]  # the empty part must not end the body

    with RawClient(serve(app)) as client:
        client.send(request_bytes())
        _, headers = client.read_head()
        expected = b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"
        assert client.reader.read(len(expected)) == expected
    assert ("Transfer-Encoding", "chunked") in headers


def test_headers_wait_for_the_first_non_empty_part(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b""  # nothing to send yet, so the headers are not sent either
        raise RuntimeError("failed before any body")

    # The 200 was never sent, so the server can still answer 500.
    assert http_request(serve(app), request_bytes()).status == 500


def test_the_apps_content_length_is_never_exceeded(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return [b"hello", b" world"]

    with RawClient(serve(app)) as client:
        client.send(request_bytes() + request_bytes())
        first = client.read_response()
        second = client.read_response()  # parses cleanly: nothing extra was sent
    assert first.body == second.body == b"hello"


def test_a_body_shorter_than_its_content_length_closes_the_connection(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        return [b"hello"]

    with RawClient(serve(app)) as client:
        client.send(request_bytes())
        client.read_head()
        # The client would wait for 5 more bytes forever; closing tells it.
        assert client.read_until_closed() == b"hello"


def test_an_empty_body_gets_content_length_zero(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return []

    response = http_request(serve(app), request_bytes())
    assert response.header("Content-Length") == "0"
    assert response.header("Transfer-Encoding") is None


def test_204_has_no_body_and_no_length(serve):
    def app(environ, start_response):
        start_response("204 No Content", [])
        return [b"ignored"]

    with RawClient(serve(app)) as client:
        client.send(request_bytes() + request_bytes())
        first = client.read_response()
        second = client.read_response()  # proves no body bytes followed the first
    assert first.status == second.status == 204
    assert first.header("Content-Length") is None
    assert first.header("Transfer-Encoding") is None


def test_a_flask_app_runs_on_our_server_chunked_body_included(serve):
    flask_app = Flask(__name__)

    @flask_app.post("/upload")
    def upload():
        return {"received": request.get_data(as_text=True)}

    chunked = b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    head = "Transfer-Encoding: chunked\r\n"
    response = http_request(
        serve(flask_app), request_bytes("POST", "/upload", headers=head) + chunked
    )
    assert response.status == 200
    assert response.body == b'{"received":"abcdef"}\n'
