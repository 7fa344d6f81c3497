"""The middleware wraps any WSGI app and keeps to PEP 3333's rules for middleware."""

import io
import re
import sys
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from raw_http import http_request, request_bytes

from app import application
from middleware import TimingMiddleware, timed_application


def make_environ(path="/"):
    """A valid environ for a GET request, with a wsgi.errors we can read back."""
    environ = {"PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": ""}
    environ["wsgi.errors"] = io.StringIO()
    setup_testing_defaults(environ)
    return environ


class RecordingBody:
    """A response body that remembers whether close() was called."""

    def __init__(self):
        self.closed = False

    def __iter__(self):
        return iter([b"hi"])

    def close(self):
        self.closed = True


def test_middleware_adds_a_response_time_header_and_keeps_the_app_valid():
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))
        return lambda data: None

    # A validator on each side: the middleware must be a valid server to the app
    # it wraps, and a valid app to the server that calls it.
    app = validator(TimingMiddleware(validator(application)))
    result = app(make_environ("/hello"), start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    assert started["status"] == "200 OK"
    assert b"Hello, world!" in body
    assert started["headers"]["Content-Length"] == str(len(body))
    assert re.fullmatch(r"\d+\.\d\dms", started["headers"]["X-Response-Time"])


@pytest.mark.parametrize("iterated", [True, False], ids=["iterated", "not-iterated"])
def test_middleware_passes_close_on_to_the_wrapped_body(iterated):
    body = RecordingBody()

    def inner(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    result = TimingMiddleware(inner)(make_environ(), lambda s, h, e=None: None)
    if iterated:
        assert list(result) == [b"hi"]
    result.close()
    assert body.closed


def test_middleware_logs_one_line_per_request_to_wsgi_errors():
    environ = make_environ("/nope")
    result = TimingMiddleware(application)(environ, lambda s, h, e=None: None)
    list(result)
    result.close()  # the line is written when the response is over
    line = environ["wsgi.errors"].getvalue()
    assert re.fullmatch(r"GET /nope 404 Not Found \d+\.\d\dms\n", line)


def test_middleware_passes_exc_info_on_to_the_server():
    seen = []

    def failing_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise RuntimeError("broken")
        except RuntimeError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    def start_response(status, headers, exc_info=None):
        seen.append((status, exc_info))

    TimingMiddleware(failing_app)(make_environ(), start_response).close()
    assert seen[0] == ("200 OK", None)
    assert seen[1][0] == "500 Internal Server Error"
    assert isinstance(seen[1][1][1], RuntimeError)


def test_wrapped_app_on_our_server_answers_the_same_plus_the_header(serve):
    plain = http_request(serve(application), request_bytes("GET", "/hello?name=Ada"))
    timed = http_request(
        serve(timed_application), request_bytes("GET", "/hello?name=Ada")
    )
    assert (timed.status, timed.body) == (plain.status, plain.body)
    assert timed.header("X-Response-Time").endswith("ms")
    assert plain.header("X-Response-Time") is None
