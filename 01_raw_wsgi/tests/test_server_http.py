"""Our server speaks HTTP/1.1 correctly: environ, bodies, keep-alive, HEAD, 100.

Every test talks to a real server over a real loopback socket (RFC 9112, PEP 3333).
"""

import json
from wsgiref.validate import validator

import pytest
from raw_http import RawClient, http_request, request_bytes

from app import application


def environ_app(environ, start_response):
    """Answer with the environ's text values and the whole body, as JSON."""
    report = {key: value for key, value in environ.items() if isinstance(value, str)}
    report["body"] = environ["wsgi.input"].read().decode("latin-1")  # read() = all
    body = json.dumps(report).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]


@pytest.fixture
def reporter(serve):
    """The address of our server running environ_app."""
    return serve(environ_app)


def environ_for(address, data: bytes) -> dict:
    """Send one request to environ_app and return the environ it saw."""
    response = http_request(address, data)
    assert response.status == 200, response.body
    return json.loads(response.body)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_the_request_method_reaches_the_app(reporter, method):
    assert environ_for(reporter, request_bytes(method))["REQUEST_METHOD"] == method


def test_path_info_is_percent_decoded_and_the_query_string_kept_apart(reporter):
    environ = environ_for(reporter, request_bytes("GET", "/caf%C3%A9/a%20b?x=1%202"))
    # PEP 3333: PATH_INFO holds the raw bytes as latin-1; the app decodes them.
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/café/a b"
    assert environ["QUERY_STRING"] == "x=1%202"  # left encoded, for the app to parse
    assert environ["SCRIPT_NAME"] == ""


def test_environ_has_the_cgi_variables(reporter):
    host, port = reporter
    headers = "Content-Type: text/plain\r\nX-Tag: a\r\nX-Tag: b\r\nX_Sneaky: 1\r\n"
    environ = environ_for(reporter, request_bytes("POST", "/x", b"hi", headers))
    assert environ["CONTENT_TYPE"] == "text/plain"  # these two without HTTP_
    assert environ["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["HTTP_X_TAG"] == "a, b"  # repeated headers joined (RFC 9110 §5.3)
    assert "HTTP_X_SNEAKY" not in environ  # "_" names dropped: they'd pass for "-"
    assert environ["HTTP_HOST"] == "test"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == (host, str(port))
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["body"] == "hi"


def test_absolute_form_request_target_is_accepted(reporter):
    environ = environ_for(reporter, request_bytes("GET", "http://test/abs?q=1"))
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/abs", "q=1")


@pytest.mark.parametrize(
    ("method", "target", "body", "status"),
    [
        ("GET", "/", b"", 200),
        ("HEAD", "/", b"", 200),
        ("GET", "/hello?name=Ada", b"", 200),
        ("GET", "/environ", b"", 200),
        ("POST", "/echo", b"some bytes", 200),
        ("POST", "/echo", b"", 200),
        ("GET", "/missing", b"", 404),
        ("PUT", "/echo", b"x", 405),
    ],
)
def test_our_app_passes_the_validator_when_our_server_calls_it(
    serve, method, target, body, status
):
    # The validator raises inside the server if the environ or wsgi.input break
    # PEP 3333; the server would answer 500 and log the traceback.
    address = serve(validator(application))
    data = request_bytes(method, target, body)
    assert http_request(address, data, method).status == status
    assert "Traceback" not in serve.log.getvalue()


def test_a_body_sent_with_content_length_reaches_the_app(address):
    response = http_request(address, request_bytes("POST", "/echo", b"hello\x00world"))
    assert response.body == b"hello\x00world"


def test_a_chunked_body_is_decoded_before_the_app_sees_it(reporter):
    chunked = b"5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    head = "Transfer-Encoding: chunked\r\n"
    environ = environ_for(reporter, request_bytes("POST", "/", headers=head) + chunked)
    assert environ["body"] == "hello world"
    assert environ["CONTENT_LENGTH"] == "11"  # the app sees an ordinary body
    assert "HTTP_TRANSFER_ENCODING" not in environ
    assert "HTTP_X_TRAILER" not in environ  # trailers never reach the app


def input_app(environ, start_response):
    """Read wsgi.input the way QUERY_STRING names; answer with the parts, as JSON."""
    stream, how = environ["wsgi.input"], environ["QUERY_STRING"]
    if how == "readline":
        parts = [
            stream.readline(),
            stream.readline(),
            stream.readline(4),
            stream.read(),
        ]
    elif how == "readlines":
        parts = stream.readlines()
    elif how == "iterate":
        parts = list(stream)
    else:
        parts = [stream.read(), stream.read()]  # the second read finds the end
    body = json.dumps([part.decode() for part in parts]).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize(
    ("how", "parts"),
    [
        ("readline", ["one\n", "two\n", "thre", "e"]),
        ("readlines", ["one\n", "two\n", "three"]),
        ("iterate", ["one\n", "two\n", "three"]),
        ("read", ["one\ntwo\nthree", ""]),
    ],
)
def test_wsgi_input_reads_lines_and_stops_at_the_end_of_the_body(serve, how, parts):
    address = serve(input_app)
    body = request_bytes("POST", f"/?{how}", b"one\ntwo\nthree")
    with RawClient(address) as client:
        client.send(body + request_bytes("GET", "/?read"))  # a second request follows
        assert json.loads(client.read_response().body) == parts
        # Nothing of the second request was read as part of the first body.
        assert json.loads(client.read_response().body) == ["", ""]


def test_two_requests_on_one_connection_are_both_answered(address):
    with RawClient(address) as client:
        client.send(request_bytes("GET", "/hello?name=one"))
        first = client.read_response()
        client.send(request_bytes("GET", "/hello?name=two"))
        second = client.read_response()
    assert first.header("Connection") is None  # HTTP/1.1 stays open by default
    assert b"Hello, one!" in first.body
    assert b"Hello, two!" in second.body


def test_pipelined_requests_are_answered_in_order(address):
    with RawClient(address) as client:
        client.send(
            request_bytes("GET", "/hello?name=one")
            + request_bytes("POST", "/echo", b"two")
            + request_bytes("GET", "/hello?name=three")
        )
        bodies = [client.read_response().body for _ in range(3)]
    assert b"Hello, one!" in bodies[0]
    assert bodies[1] == b"two"
    assert b"Hello, three!" in bodies[2]


def test_connection_close_from_the_client_is_honoured(address):
    with RawClient(address) as client:
        client.send(request_bytes("GET", "/", headers="Connection: close\r\n"))
        assert client.read_response().header("Connection") == "close"
        assert client.read_until_closed() == b""


def test_http_1_0_closes_after_the_response_by_default(address):
    with RawClient(address) as client:
        client.send(request_bytes("GET", "/hello", version="HTTP/1.0"))
        response = client.read_response()
        assert response.header("Connection") == "close"
        assert client.read_until_closed() == b""
    assert b"Hello, world!" in response.body


def test_options_asterisk_reaches_the_app_with_an_empty_path(serve):
    seen = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("204 No Content", [("Allow", "GET, POST")])
        return []

    with RawClient(serve(app)) as client:
        client.send(b"OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n")
        assert client.read_response("OPTIONS").status == 204
    assert seen == [""]


def test_http_1_0_keep_alive_is_honoured_when_asked_for(address):
    request = request_bytes(
        "GET", "/hello", headers="Connection: keep-alive\r\n", version="HTTP/1.0"
    )
    with RawClient(address) as client:
        client.send(request)
        assert client.read_response().header("Connection") == "keep-alive"
        client.send(request)
        assert b"Hello, world!" in client.read_response().body


def streaming_app(environ, start_response):
    """A body whose length the app doesn't say: the server must frame it."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ab", b"", b"cd"]


def test_http_1_0_body_of_unknown_length_ends_when_the_server_closes(serve):
    address = serve(streaming_app)
    request = request_bytes("GET", headers="Connection: keep-alive\r\n")
    with RawClient(address) as client:
        client.send(request.replace(b"HTTP/1.1", b"HTTP/1.0"))
        response = client.read_response()  # reads the body until the server closes
    assert response.header("Transfer-Encoding") is None  # HTTP/1.0 has no chunks
    assert response.header("Connection") == "close"
    assert response.body == b"abcd"


def test_head_has_the_headers_of_get_and_no_body(address):
    with RawClient(address) as client:
        # HEAD then GET on one connection: any body bytes after the HEAD response
        # would be read as the start of the GET response and break it.
        client.send(request_bytes("HEAD", "/") + request_bytes("GET", "/"))
        head = client.read_response("HEAD")
        get = client.read_response()
    assert head.status == get.status == 200
    assert head.header("Content-Length") == get.header("Content-Length")
    assert head.header("Content-Type") == get.header("Content-Type")
    assert get.body.startswith(b"<!doctype html>")


def test_expect_100_continue_gets_100_before_the_client_sends_the_body(address):
    headers = "Expect: 100-continue\r\nContent-Length: 5\r\n"
    with RawClient(address) as client:
        client.send(request_bytes("POST", "/echo", headers=headers))
        status, _ = client.read_head()
        assert status == 100  # the app started reading: go ahead
        client.send(b"hello")
        response = client.read_response()
    assert (response.status, response.body) == (200, b"hello")


def test_no_100_continue_when_the_app_answers_without_reading(address):
    headers = "Expect: 100-continue\r\nContent-Length: 5\r\n"
    with RawClient(address) as client:
        client.send(request_bytes("POST", "/nope", headers=headers))
        status, headers = client.read_head()
        assert status == 404  # straight to the answer: the upload was never needed
        # The body may or may not come now, so the connection can't be reused.
        assert ("Connection", "close") in headers
