"""The production chain against a hostile client: raw bytes, over loopback.

A careful attacker does not use a browser or curl's defaults: they write the
request by hand. Every request here is sent as bytes on a socket to real nginx
in front of real gunicorn (lessons.production, as in test_production.py), and
every answer must be one the app would give: a working 2xx, or problem details
(RFC 9457) with the app's CORS headers; never an HTML error page, never a 503
that blames a healthy server, never a link to a host we do not serve.
"""

import json
from urllib.parse import urlsplit

import pytest
import raw_http

ORIGIN = "http://127.0.0.1:8000"  # one of the allowed origins (the docs site)


@pytest.fixture(scope="module")
def database(module_database):
    """The tests here share one chain, so they share its database too (`query`
    and `add_books` write to it)."""
    return module_database


def port_of(url: str) -> int:
    """The port of http://127.0.0.1:PORT."""
    return int(url.rsplit(":", 1)[1])


def exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until nginx closes (every request here ends so)."""
    return raw_http.exchange(port, data, until_close=True)


def request(line: str, *headers: str, body: bytes = b"", host="127.0.0.1") -> bytes:
    """A request as bytes: the line, Host, Origin, `headers`, then `body`."""
    text = f"{line}\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\n"
    text += "".join(f"{header}\r\n" for header in headers)
    return (text + "Connection: close\r\n\r\n").encode("latin-1") + body


def links_of(headers: dict[str, str]) -> list[str]:
    """The URLs in a Link header."""
    return [part.split(">")[0].lstrip(" <") for part in headers["link"].split(",")]


def test_an_absolute_request_line_cannot_put_another_host_in_the_links(chain):
    # nginx picks the server by the host in an absolute-form request line
    # (RFC 9112 §3.2.2); the Host header says something else.
    data = request(
        "GET http://127.0.0.1/books?per_page=1 HTTP/1.1", host="evil.example"
    )
    status, headers, _ = exchange(port_of(chain.url), data)
    assert status == 200
    for url in links_of(headers):
        assert urlsplit(url).netloc == f"127.0.0.1:{port_of(chain.url)}", url


def test_a_host_header_with_another_port_does_not_reach_the_links(chain):
    data = request("GET /books?per_page=1 HTTP/1.1", host="127.0.0.1:1234")
    status, headers, _ = exchange(port_of(chain.url), data)
    assert status == 200
    for url in links_of(headers):
        assert urlsplit(url).netloc == f"127.0.0.1:{port_of(chain.url)}", url


def test_a_long_q_is_a_clear_400_not_a_503(chain):
    status, headers, body = exchange(
        port_of(chain.url), request("GET /books?q=" + "a" * 2000 + " HTTP/1.1")
    )
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert "q must be at most 200 characters" in json.loads(body)["detail"]


def test_the_longest_query_the_limits_allow_is_served_with_its_links(chain, query):
    # 200 four-byte characters in both q and author, on a middle page: the
    # largest Link header the app can write (four links, 12 bytes a character).
    longest = "%F0%9F%98%80" * 200
    for _ in range(3):
        query(
            "INSERT INTO books (title, author) VALUES (%s, %s)",
            ("😀" * 200, "😀" * 200),
        )
    path = f"/books?q={longest}&author={longest}&sort=-created_at&page=2&per_page=1"
    status, headers, body = exchange(
        port_of(chain.url), request(f"GET {path} HTTP/1.1")
    )
    assert status == 200, body
    assert len(links_of(headers)) == 4
    assert json.loads(body)["total"] == 3


# (name, raw request, the status nginx or the app must answer)
HOSTILE_REQUESTS = [
    ("not HTTP at all", b"GARBAGE\r\n\r\n", 400),
    ("HTTP/1.1 without Host", b"GET /books HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
    ("TRACE", request("TRACE /books HTTP/1.1"), 405),
    ("lowercase method", request("get /books HTTP/1.1"), 400),
    ("unknown method", request("FOO /books HTTP/1.1"), 405),
    ("request line over 8 KiB", request("GET /?x=" + "a" * 9000 + " HTTP/1.1"), 414),
    ("header over 8 KiB", request("GET /books HTTP/1.1", "X-A: " + "a" * 9000), 431),
    (
        "headers over 32 KiB",
        request("GET /books HTTP/1.1", *[f"X-{n}: {'a' * 7000}" for n in range(6)]),
        431,
    ),
    ("HTTP/2.0 as text", request("GET /books HTTP/2.0"), 505),
    (
        "Transfer-Encoding: gzip",
        request("POST /books HTTP/1.1", "Transfer-Encoding: gzip"),
        501,
    ),
    (
        "Content-Length: abc",
        request("POST /books HTTP/1.1", "Content-Length: abc"),
        400,
    ),
    (
        "Content-Length and chunked",
        request(
            "POST /books HTTP/1.1",
            "Content-Length: 5",
            "Transfer-Encoding: chunked",
            body=b"0\r\n\r\n",
        ),
        400,
    ),
    (
        "broken chunk size",
        request(
            "POST /books HTTP/1.1",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            body=b"zz\r\n\r\n",
        ),
        400,
    ),
    (
        "body over 64 KiB",
        request(
            "POST /books HTTP/1.1",
            "Content-Type: application/json",
            "Content-Length: 70000",
            body=b"x" * 70000,
        ),
        413,
    ),
    (
        "a host we do not serve",
        request("GET /books HTTP/1.1", host="evil.example"),
        421,
    ),
    ("absolute URL of another host", request("GET http://evil.example/ HTTP/1.1"), 421),
    ("a space in a header name", request("GET /books HTTP/1.1", "Bad Name: x"), 400),
    ("a folded header", request("GET /books HTTP/1.1", "X-A: b\r\n c"), 400),
    (
        "a control character in Content-Type",
        request("GET /books HTTP/1.1", "Content-Type: text/plain\x01"),
        400,
    ),
    (
        "a control character in User-Agent",
        request("GET /books HTTP/1.1", "User-Agent: \x7f"),
        400,
    ),
    ("a NUL in the path", request("GET /books%00 HTTP/1.1"), 400),
    ("a path above the root", request("GET /../etc/passwd HTTP/1.1"), 400),
    ("CONNECT", request("CONNECT 127.0.0.1:80 HTTP/1.1"), 400),
    ("nginx's own error URL", request("GET /_problem HTTP/1.1"), 404),
    ("an id in fullwidth digits", request("DELETE /books/%EF%BC%91 HTTP/1.1"), 404),
    (
        "bad JSON",
        request(
            "POST /books HTTP/1.1",
            "Content-Type: application/json",
            "Content-Length: 1",
            body=b"{",
        ),
        400,
    ),
]


def problem_or_reason(raw: bytes, expected: int, port: int) -> str | None:
    """None when the answer is `expected` as problem details, else what is wrong."""
    status, headers, body = exchange(port, raw)
    if status != expected:
        return f"status {status}, not {expected}"
    if headers.get("content-type") != "application/problem+json":
        return f"Content-Type {headers.get('content-type')}: {body[:80]!r}"
    problem = json.loads(body)
    if problem["status"] != expected or not (problem["title"] and problem["detail"]):
        return f"not a full problem: {problem}"
    if headers.get("vary") != "Origin":
        return f"Vary {headers.get('vary')}"
    if expected == 405 and "GET" not in headers.get("allow", ""):
        return "a 405 without Allow"
    return None


def test_every_error_through_the_chain_is_problem_details(chain):
    # One chain for the whole table (starting one takes a second); every case
    # is checked, and the message lists each one that failed.
    failures = {}
    for name, raw, expected in HOSTILE_REQUESTS:
        reason = problem_or_reason(raw, expected, port_of(chain.url))
        if reason:
            failures[name] = reason
    assert failures == {}


# Errors nginx gives once it has read the headers (and so the Origin): these
# must carry the app's CORS headers, or a page would see a CORS failure. (A
# request line nginx cannot parse has no headers it could read.)
AFTER_THE_HEADERS = [
    "TRACE",
    "header over 8 KiB",
    "Transfer-Encoding: gzip",
    "body over 64 KiB",
    "a host we do not serve",
    "a folded header",
    "a control character in Content-Type",
    "unknown method",
    "bad JSON",
]


def test_errors_after_the_headers_were_read_carry_the_cors_headers(chain):
    without = []
    for name, raw, _ in HOSTILE_REQUESTS:
        if name in AFTER_THE_HEADERS:
            _, headers, _ = exchange(port_of(chain.url), raw)
            exposed = headers.get("access-control-expose-headers")
            if headers.get("access-control-allow-origin") != ORIGIN or not exposed:
                without.append(name)
    assert without == []


def test_trace_gets_the_cors_headers_and_the_allow_of_the_url(chain):
    status, headers, _ = exchange(
        port_of(chain.url), request("TRACE /books/1 HTTP/1.1")
    )
    assert status == 405
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"


@pytest.mark.parametrize(
    "look_alike",
    ["HTTP://127.0.0.1:8000", "http://LOCALHOST:8000", "http://127.0.0.1:8000/"],
)
def test_nginx_matches_origins_exactly_as_the_app_does(chain, look_alike):
    # The same look-alike gets no CORS headers from the app (a 404 it answers)
    # and none from nginx (the 413 it answers itself, and its 405 for TRACE).
    too_big = request(
        "POST /books HTTP/1.1",
        "Content-Type: application/json",
        "Content-Length: 70000",
        body=b"x" * 70000,
    )
    for raw in (request("GET /nope HTTP/1.1"), too_big, request("TRACE / HTTP/1.1")):
        data = raw.replace(
            f"Origin: {ORIGIN}".encode(), f"Origin: {look_alike}".encode()
        )
        status, headers, _ = exchange(port_of(chain.url), data)
        assert status in (404, 413, 405)
        assert not [name for name in headers if name.startswith("access-control-")]


def test_headers_the_app_does_not_read_never_reach_gunicorn(chain):
    # 150 headers (gunicorn's default limit is 100) and an X-Forwarded-For
    # so long that nginx's addition would pass gunicorn's field limit: both
    # once got gunicorn's HTML error pages.
    many = [f"X-Header-{number}: 1" for number in range(150)]
    status, _, _ = exchange(
        port_of(chain.url), request("GET /books?per_page=1 HTTP/1.1", *many)
    )
    assert status == 200
    long_forwarded = "X-Forwarded-For: " + "1" * 8150
    status, _, _ = exchange(
        port_of(chain.url), request("GET /health HTTP/1.1", long_forwarded)
    )
    assert status == 200
