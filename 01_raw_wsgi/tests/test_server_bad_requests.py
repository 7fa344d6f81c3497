"""Broken requests get the right error, the connection is closed, and the server
keeps serving everyone else (RFC 9112; RFC 9110 §15 for the status codes)."""

import pytest
from raw_http import RawClient, http_request, request_bytes

GOOD_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"
CHUNKED_POST = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

# Over a real socket, one case per kind of mistake; test_http11.py has them all.
BAD_REQUESTS = {
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "an HTTP version we don't speak": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "CONNECT, a tunnel we don't open": (
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        501,
    ),
    "request line too long": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    "header section too large": (GOOD_HEAD + b"X-A: 1\r\n" * 200 + b"\r\n", 431),
    "header line without a colon": (GOOD_HEAD + b"No colon here\r\n\r\n", 400),
    "BEL in a header value": (GOOD_HEAD + b"X-A: ding\x07\r\n\r\n", 400),
    "DEL in a header value": (GOOD_HEAD + b"X-A: a\x7fb\r\n\r\n", 400),
    "HTTP/1.1 without Host": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "two Host headers": (GOOD_HEAD + b"Host: y\r\n\r\n", 400),
    "two Content-Type headers": (
        GOOD_HEAD + b"Content-Type: a/b\r\nContent-Type: c/d\r\n\r\n",
        400,
    ),
    "two different Content-Lengths": (
        GOOD_HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "Content-Length and Transfer-Encoding": (
        GOOD_HEAD + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    "HTTP/1.0 with Transfer-Encoding": (
        b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    "unsupported transfer coding": (
        GOOD_HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
        501,
    ),
    "invalid chunk size": (CHUNKED_POST + b"zz\r\nhello\r\n0\r\n\r\n", 400),
    "Content-Length in a trailer": (
        CHUNKED_POST + b"3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n",
        400,
    ),
    "Host in a trailer": (CHUNKED_POST + b"3\r\nabc\r\n0\r\nHost: evil\r\n\r\n", 400),
}


@pytest.mark.parametrize(
    ("data", "status"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys()
)
def test_bad_request_gets_its_error_and_the_server_keeps_serving(address, data, status):
    with RawClient(address) as client:
        client.send(data)
        response = client.read_response()
        assert response.status == status
        assert response.header("Connection") == "close"
        assert response.header("Content-Type") == "text/plain; charset=utf-8"
        # After an error the server can't trust where this request ends: it closes.
        assert client.read_until_closed() == b""
    good = http_request(address, request_bytes("GET", "/hello?name=again"))
    assert b"Hello, again!" in good.body


def test_error_page_says_what_was_wrong(address):
    response = http_request(address, b"GET / HTTP/1.1\r\n\r\n")
    assert response.body.startswith(b"400 Bad Request\n")
    assert b"Host" in response.body
