"""http11.py reads requests by the rules of RFC 9112 and RFC 9110, no socket needed.

Two tables, as in h11's tests: raw bytes and the request they must read as, and
raw bytes and the error status they must be refused with. The readers take any
binary file, so each case is an `io.BytesIO`: fast, and exactly the bytes we mean.
"""

import io

import pytest

import http11

GOOD_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"
CHUNKED_POST = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
BIG_HEADER = b"X-A: " + b"a" * 8000 + b"\r\n"  # under the line limit; 5 are too many


def read(raw: bytes):
    """Read one request from `raw`: (request, its body, the bytes left after it)."""
    rfile = io.BytesIO(raw)
    request = http11.read_request_head(http11.read_request_line(rfile), rfile)
    body = http11.read_body(rfile, request, send_continue=lambda: None)
    try:
        return request, body.read(), rfile.read()
    finally:
        body.close()  # a decoded chunked body is a temp file: let it go


# raw request -> (method, path, query, version, headers, body, what follows it)
VALID = {
    "a plain GET": (
        b"GET /a%20b?x=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
        ("GET", "/a%20b", "x=1", "HTTP/1.1", [("Host", "x"), ("Accept", "*/*")]),
        b"",
        b"",
    ),
    "bare LF line endings are tolerated (§2.2)": (
        b"GET / HTTP/1.1\nHost: x\n\n",
        ("GET", "/", "", "HTTP/1.1", [("Host", "x")]),
        b"",
        b"",
    ),
    "one stray empty line before the request (§2.2)": (
        b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ("GET", "/", "", "HTTP/1.1", [("Host", "x")]),
        b"",
        b"",
    ),
    "the absolute form (§3.2.2)": (
        b"GET http://x/abs?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        ("GET", "/abs", "q=1", "HTTP/1.1", [("Host", "x")]),
        b"",
        b"",
    ),
    "the asterisk form (§3.2.4)": (
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        ("OPTIONS", "", "", "HTTP/1.1", [("Host", "x")]),
        b"",
        b"",
    ),
    "HTTP/1.0 needs no Host": (
        b"GET / HTTP/1.0\r\n\r\n",
        ("GET", "/", "", "HTTP/1.0", []),
        b"",
        b"",
    ),
    "spaces and tabs around a value are not part of it; a tab inside is": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \t a\tb \t\r\n\r\n",
        ("GET", "/", "", "HTTP/1.1", [("Host", "x"), ("X-A", "a\tb")]),
        b"",
        b"",
    ),
    "obs-text (bytes from 0x80) in a value, read as latin-1": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: Zo\xc3\xab\r\n\r\n",
        ("GET", "/", "", "HTTP/1.1", [("Host", "x"), ("X-Name", "Zo\xc3\xab")]),
        b"",
        b"",
    ),
    "a name with _ is dropped (it would pass for -)": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX_User: admin\r\n\r\n",
        ("GET", "/", "", "HTTP/1.1", [("Host", "x")]),
        b"",
        b"",
    ),
    "a body by Content-Length ends there; the next request follows": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /",
        ("POST", "/", "", "HTTP/1.1", [("Host", "x"), ("Content-Length", "5")]),
        b"hello",
        b"GET /",
    ),
    "the same Content-Length twice is one length (RFC 9110 §8.6)": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2"
        b"\r\n\r\nok",
        (
            "POST",
            "/",
            "",
            "HTTP/1.1",
            [("Host", "x"), ("Content-Length", "2"), ("Content-Length", "2")],
        ),
        b"ok",
        b"",
    ),
    "chunks, an extension and an allowed trailer (which is dropped)": (
        CHUNKED_POST
        + b"5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n+",
        (
            "POST",
            "/",
            "",
            "HTTP/1.1",
            [("Host", "x"), ("Transfer-Encoding", "chunked")],
        ),
        b"hello world",
        b"+",
    ),
}


@pytest.mark.parametrize(("raw", "head", "body", "rest"), VALID.values(), ids=VALID)
def test_a_valid_request_reads_as_expected(raw, head, body, rest):
    request, read_body, left = read(raw)
    method, path, query, version, headers = head
    assert (request.method, request.path, request.query) == (method, path, query)
    assert (request.version, request.headers) == (version, headers)
    assert (read_body, left) == (body, rest)


CONTROL = "a control character"
# raw request -> (the status it is refused with, words of the reason)
INVALID = {
    "garbage request line": (b"GARBAGE\r\n\r\n", 400, "METHOD /path"),
    "too many parts in the request line": (
        b"GET / HTTP/1.1 x\r\nHost: x\r\n\r\n",
        400,
        "METHOD /path",
    ),
    "not an HTTP version": (b"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400, "version"),
    "an HTTP version we don't speak": (b"GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.x"),
    "a target without a leading slash": (b"GET x HTTP/1.1\r\n\r\n", 400, "with /"),
    "a control character in the target": (b"GET /\x01 HTTP/1.1\r\n\r\n", 400, CONTROL),
    "CONNECT: a tunnel we don't open (RFC 9110 §9.3.6)": (
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        501,
        "tunnel",
    ),
    "a request line over the limit": (
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        414,
        "too long",
    ),
    "a header line without a colon": (GOOD_HEAD + b"No colon\r\n\r\n", 400, "header"),
    "a space before the colon (§5.1)": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, ""),
    "a folded header line (§5.2)": (GOOD_HEAD + b"X-A: 1\r\n 2\r\n\r\n", 400, ""),
    "a bare CR": (GOOD_HEAD + b"X-A: 1\rX-B: 2\r\n\r\n", 400, "bare CR"),
    "a NUL in a value": (GOOD_HEAD + b"X-A: a\0b\r\n\r\n", 400, "NUL"),
    "BEL in a value (RFC 9110 §5.5)": (
        GOOD_HEAD + b"X-A: a\x07b\r\n\r\n",
        400,
        CONTROL,
    ),
    "DEL in a value (RFC 9110 §5.5)": (
        GOOD_HEAD + b"X-A: a\x7fb\r\n\r\n",
        400,
        CONTROL,
    ),
    "ESC in a value (RFC 9110 §5.5)": (
        GOOD_HEAD + b"X-A: \x1b[2J\r\n\r\n",
        400,
        CONTROL,
    ),
    "too many header lines": (GOOD_HEAD + b"X-A: 1\r\n" * 200 + b"\r\n", 431, ""),
    "a header section too large": (GOOD_HEAD + BIG_HEADER * 5 + b"\r\n", 431, ""),
    "a header line over the limit": (
        GOOD_HEAD + b"X-A: " + b"a" * 9000 + b"\r\n\r\n",
        431,
        "too long",
    ),
    "HTTP/1.1 without Host (RFC 9112 §3.2)": (b"GET / HTTP/1.1\r\n\r\n", 400, "Host"),
    "Host twice": (GOOD_HEAD + b"Host: y\r\n\r\n", 400, "only one host"),
    "Content-Type twice": (
        GOOD_HEAD + b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n",
        400,
        "only one content-type",
    ),
    "two different Content-Lengths": (
        GOOD_HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
        "Content-Length",
    ),
    "a list of different Content-Lengths": (
        GOOD_HEAD + b"Content-Length: 1, 2\r\n\r\nab",
        400,
        "Content-Length",
    ),
    "Content-Length not a number": (
        GOOD_HEAD + b"Content-Length: abc\r\n\r\n",
        400,
        "Content-Length",
    ),
    "a negative Content-Length": (
        GOOD_HEAD + b"Content-Length: -1\r\n\r\n",
        400,
        "Content-Length",
    ),
    "Content-Length and Transfer-Encoding (request smuggling)": (
        GOOD_HEAD + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "both",
    ),
    "HTTP/1.0 with Transfer-Encoding (RFC 9112 §6.1)": (
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        400,
        "HTTP/1.0",
    ),
    "a transfer coding other than chunked": (
        GOOD_HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
        501,
        "gzip",
    ),
    "gzip then chunked": (
        GOOD_HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        "gzip",
    ),
    "chunked twice": (
        GOOD_HEAD + b"Transfer-Encoding: chunked, chunked\r\n\r\n",
        400,
        "twice",
    ),
    "an invalid chunk size": (CHUNKED_POST + b"zz\r\nhello\r\n0\r\n\r\n", 400, "size"),
    "a chunk size with a sign": (CHUNKED_POST + b"+5\r\nhello\r\n0\r\n\r\n", 400, ""),
    "chunk data without its CRLF": (CHUNKED_POST + b"5\r\nhelloXX0\r\n\r\n", 400, ""),
    "Content-Length in a trailer (RFC 9110 §6.5.1)": (
        CHUNKED_POST + b"3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n",
        400,
        "trailer",
    ),
    "Transfer-Encoding in a trailer": (
        CHUNKED_POST + b"0\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "trailer",
    ),
    "Host in a trailer": (CHUNKED_POST + b"0\r\nHost: evil\r\n\r\n", 400, "trailer"),
    "Authorization in a trailer": (
        CHUNKED_POST + b"0\r\nAuthorization: Basic eDp5\r\n\r\n",
        400,
        "trailer",
    ),
    "a control character in a trailer": (
        CHUNKED_POST + b"0\r\nX-Sum: \x07\r\n\r\n",
        400,
        CONTROL,
    ),
}


@pytest.mark.parametrize(("raw", "status", "reason"), INVALID.values(), ids=INVALID)
def test_a_bad_request_is_refused_with_its_status(raw, status, reason):
    with pytest.raises(http11.HTTPError) as refused:
        read(raw)
    assert int(refused.value.status[:3]) == status
    assert reason in str(refused.value)


def test_a_chunked_body_over_the_limit_is_413():
    chunk = b"%X\r\n" % (1024 * 1024) + b"a" * 1024 * 1024 + b"\r\n"
    with pytest.raises(http11.HTTPError) as refused:
        read(CHUNKED_POST + chunk * 11 + b"0\r\n\r\n")
    assert refused.value.status == "413 Content Too Large"


@pytest.mark.parametrize(
    "raw",
    [
        GOOD_HEAD,  # the head never ends
        b"GET / HTTP/1.1\r\nHost",  # in the middle of a line
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort",
        CHUNKED_POST + b"a\r\nshort",  # in the middle of a chunk
        CHUNKED_POST + b"0\r\n",  # before the end of the trailers
    ],
    ids=["head", "line", "body", "chunk", "trailers"],
)
def test_a_request_cut_short_is_a_disconnect_not_a_request(raw):
    with pytest.raises(http11.ClientDisconnected):
        read(raw)


def test_nothing_before_the_request_line_means_the_client_closed():
    assert http11.read_request_line(io.BytesIO(b"")) is None


def test_a_lying_content_length_costs_only_the_bytes_that_came():
    # 100 GB announced, 3 bytes sent: read in pieces, the reader never asks for
    # (nor allocates) the announced size; it finds the end of the data instead.
    body = http11.BodyReader(io.BytesIO(b"abc"), 100_000_000_000)
    with pytest.raises(http11.ClientDisconnected):
        body.read()


def test_a_large_chunked_body_moves_from_memory_to_a_temp_file():
    data = bytes(range(256)) * 1024  # 256 KiB: past the 64 KiB kept in memory
    chunks = b"".join(
        b"%X\r\n%s\r\n" % (len(part), part)
        for part in (data[i : i + 10_000] for i in range(0, len(data), 10_000))
    )
    rfile = io.BytesIO(CHUNKED_POST + chunks + b"0\r\n\r\n")
    request = http11.read_request_head(http11.read_request_line(rfile), rfile)
    body = http11.read_body(rfile, request, send_continue=lambda: None)
    assert body.length == len(data)
    assert body.stream._rolled  # SpooledTemporaryFile: now a real file on disk
    assert body.read() == data
    body.close()
    assert body.stream.closed


def test_past_the_budget_for_all_uploads_a_chunked_body_gets_503(monkeypatch):
    monkeypatch.setattr(http11, "UPLOADS", http11.UploadBudget(10))
    eight_bytes = CHUNKED_POST + b"8\r\n12345678\r\n0\r\n\r\n"

    def start_reading():
        """Read the head and the chunked body of `eight_bytes`; keep the body."""
        rfile = io.BytesIO(eight_bytes)
        request = http11.read_request_head(http11.read_request_line(rfile), rfile)
        return http11.read_body(rfile, request, send_continue=lambda: None)

    first = start_reading()  # 8 of the 10 bytes are taken while it is open
    with pytest.raises(http11.HTTPError) as refused:
        start_reading()
    assert refused.value.status == "503 Service Unavailable"
    first.close()  # its bytes come back: the next upload fits again
    start_reading().close()
    assert http11.UPLOADS.used == 0


@pytest.mark.parametrize(
    ("head", "sent_at"),
    [
        (b"Content-Length: 5\r\nExpect: 100-continue\r\n", "first read"),
        (b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n", "at once"),
        (b"Content-Length: 5\r\n", None),  # no Expect: no 100 Continue
    ],
    ids=["by length", "chunked", "not expected"],
)
def test_100_continue_is_sent_when_the_body_is_wanted(head, sent_at):
    body = b"hello" if b"Length" in head else b"5\r\nhello\r\n0\r\n\r\n"
    rfile = io.BytesIO(b"POST / HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + body)
    request = http11.read_request_head(http11.read_request_line(rfile), rfile)
    sent = []
    reader = http11.read_body(rfile, request, send_continue=lambda: sent.append(1))
    assert sent == ([1] if sent_at == "at once" else [])
    assert reader.read() == b"hello"
    assert sent == ([1] if sent_at else [])
    reader.close()


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")]),
        ("404 Not Found", []),
        ("599 Whatever", [("X-Name", "caf\xe9")]),  # latin-1 is fine
    ],
)
def test_what_an_app_may_send_passes_the_checks(status, headers):
    http11.check_status(status)
    http11.check_headers(headers)
