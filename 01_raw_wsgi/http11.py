"""HTTP/1.1 by the rules: how `server.py` reads a request, for the curious.

Read `server.py` first: it is the WSGI half, the lesson. This module is the HTTP
half it leans on, the rules of RFC 9112 (the message syntax) and RFC 9110 (what
the fields mean), each with its section beside it. As in gunicorn's `http/`
package and in h11, the readers never touch a socket: they take a binary file
object (the socket's `makefile("rb")` in the server, an `io.BytesIO` in the tests).

Read it in this order:

1. `read_request_line` and `read_request_head`: the request line and the header
   fields (RFC 9112 §3 and §5), and which of them may appear only once;
2. `read_body`: where the body ends, by Content-Length or by chunks (§6, §7);
3. `BodyReader`: `wsgi.input`, which never reads past that end (PEP 3333);
4. `check_status` and `check_headers`: the rules for what the application sends.

At the end come the server's own error page (`error_page`) and the one function
that does take a socket, because how to close is an HTTP rule too (`close_gently`).

Everything a client sends is checked before the application sees it: a request
that breaks a rule raises `HTTPError`, and the server answers with its status.
"""

import contextlib
import re
import socket
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass

MAX_LINE = 8 * 1024  # the longest request line or header line we read
MAX_HEADER_BYTES = 32 * 1024  # all header lines of one request together
MAX_HEADERS = 100  # header lines in one request
MAX_CHUNKED_BODY = 10 * 1024 * 1024  # the most we decode of one chunked body
MAX_CHUNKED_BODIES = 256 * 1024 * 1024  # of all the chunked bodies held at once
PIECE = 64 * 1024  # bodies are read and copied in pieces of at most this size
SPOOL_IN_MEMORY = 64 * 1024  # a decoded chunked body past this goes to a temp file

# A token (RFC 9110 §5.6.2): what methods and header names are made of.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A field value may hold visible characters, spaces, tabs and obs-text (bytes from
# 0x80), but no other control character (RFC 9110 §5.5): no BEL, no DEL.
CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A status the application may set: three digits, a space, a reason (PEP 3333).
# 1xx is the server's business (100 Continue), never the application's.
STATUS = re.compile(r"[2-5][0-9][0-9] [^\r\n]*")
# Hop-by-hop headers describe one connection, so only the server sets them
# (PEP 3333 "Other HTTP Features", RFC 9110 §7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization"}
HOP_BY_HOP |= {"te", "trailer", "transfer-encoding", "upgrade"}
# Fields that are not lists, so a second one is a contradiction (RFC 9110 §5.3):
# which host, which type? (Content-Length has its own rule in read_body.)
SINGLE_FIELDS = ("host", "content-type")
# Fields a trailer must not carry, because they frame, route or control the
# message and were needed before the body (RFC 9110 §6.5.1).
NOT_IN_TRAILERS = HOP_BY_HOP | {"content-length", "host", "expect", "max-forwards"}
NOT_IN_TRAILERS |= {"authorization", "cookie", "cache-control", "pragma", "range"}
NOT_IN_TRAILERS |= {"if-match", "if-none-match", "if-modified-since", "if-range"}
NOT_IN_TRAILERS |= {"if-unmodified-since", "content-type", "content-encoding"}
NOT_IN_TRAILERS |= {"content-range"}


class HTTPError(Exception):
    """A request we refuse: the status line to answer with, and why."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class ClientDisconnected(Exception):
    """The client closed the connection, or stayed silent past the idle timeout."""


@dataclass
class Request:
    """The request line and header fields of one HTTP request."""

    method: str
    version: str  # "HTTP/1.0" or "HTTP/1.1"
    path: str  # still percent-encoded, without the query
    query: str
    headers: list[tuple[str, str]]

    def header_values(self, name: str) -> list[str]:
        """Every value of a header field, in the order the client sent them."""
        return [value for key, value in self.headers if key.lower() == name]

    def header(self, name: str) -> str | None:
        """A header's values joined with ", " (RFC 9110 §5.3), or None."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    @property
    def keep_alive(self) -> bool:
        """Whether the client wants to send another request (RFC 9112 §9.3)."""
        options = (self.header("connection") or "").lower().split(",")
        options = {option.strip() for option in options}
        if self.version == "HTTP/1.1":
            return "close" not in options  # HTTP/1.1: persistent unless told
        return "keep-alive" in options  # HTTP/1.0: closes unless asked

    @property
    def expects_continue(self) -> bool:
        """The client waits for `100 Continue` before it sends its body (§10.1.1)."""
        expect = (self.header("expect") or "").lower()
        return self.version == "HTTP/1.1" and expect == "100-continue"  # not 1.0


# --8<-- [start:read_head]
def decode_line(raw: bytes, too_long: str) -> str:
    """One line of the request head as text, without its line ending (RFC 9112 §2.2).

    A header line over the limit is answered with 431 (RFC 6585 §5); the request
    line passes `too_long="414 URI Too Long"`, as RFC 9112 §3 requires for a
    request-target longer than the server will parse.
    """
    if len(raw) > MAX_LINE:
        raise HTTPError(too_long, "a line is too long")
    if not raw.endswith(b"\n"):
        raise ClientDisconnected("the connection closed in the middle of a line")
    line = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]  # a bare LF is tolerated
    if b"\r" in line or b"\0" in line:
        raise HTTPError("400 Bad Request", "a bare CR or NUL in the request head")
    return line.decode("latin-1")  # PEP 3333: bytes become str one to one


def read_line(rfile) -> str:
    """The next line of a header section (or of a chunked body)."""
    raw = rfile.readline(MAX_LINE + 1)
    return decode_line(raw, too_long="431 Request Header Fields Too Large")


def read_request_line(rfile) -> str | None:
    """The request line, or None when the client closed between two requests."""
    raw = rfile.readline(MAX_LINE + 1)
    if raw in (b"\r\n", b"\n"):
        raw = rfile.readline(MAX_LINE + 1)  # §2.2: skip one stray empty line
    if not raw:
        return None
    return decode_line(raw, too_long="414 URI Too Long")


def read_request_head(request_line: str, rfile) -> Request:
    """Check the request line, then read the header fields (RFC 9112 §3, §5)."""
    method, path, query, version = parse_request_line(request_line)
    request = Request(method, version, path, query, read_fields(rfile))
    hosts = request.header_values("host")
    if version == "HTTP/1.1" and not hosts:
        raise HTTPError("400 Bad Request", "send a Host header (RFC 9112 §3.2)")
    for name in SINGLE_FIELDS:
        if len(request.header_values(name)) > 1:
            raise HTTPError("400 Bad Request", f"send only one {name} header")
    return request


# --8<-- [end:read_head]


def parse_request_line(line: str) -> tuple[str, str, str, str]:
    """Split `GET /path?query HTTP/1.1` into method, path, query, version (§3)."""
    parts = line.split(" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]):
        raise HTTPError("400 Bad Request", "expected: METHOD /path HTTP/1.1")
    method, target, version = parts
    if not re.fullmatch(r"HTTP/[0-9]\.[0-9]", version):
        raise HTTPError("400 Bad Request", f"{version!r} is not an HTTP version")
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise HTTPError("505 HTTP Version Not Supported", "this server speaks HTTP/1.x")
    if re.search(r"[\x00-\x20\x7f]", target):
        raise HTTPError("400 Bad Request", "the request target has a control character")
    if method == "CONNECT":
        # "CONNECT host:443" asks a proxy to open a tunnel (RFC 9110 §9.3.6): a
        # valid request, but not one a WSGI server carries out (PEP 3333 has no
        # tunnels). 501: the server lacks the feature, whatever the target.
        raise HTTPError("501 Not Implemented", "this server does not tunnel (CONNECT)")
    if target.lower().startswith(("http://", "https://")):
        # The absolute form (for proxies): servers must accept it too (§3.2.2).
        parts = urllib.parse.urlsplit(target)
        return method, parts.path or "/", parts.query, version
    if target == "*" and method == "OPTIONS":
        # The asterisk form, "OPTIONS * HTTP/1.1": a question about the server
        # itself, not a resource (§3.2.4). PATH_INFO is then empty.
        return method, "", "", version
    if not target.startswith("/"):
        raise HTTPError("400 Bad Request", "the request target must start with /")
    path, _, query = target.partition("?")
    return method, path, query, version


def read_fields(rfile) -> list[tuple[str, str]]:
    """Field lines up to the empty line, as (name, value) pairs (RFC 9112 §5)."""
    fields, total = [], 0
    while line := read_line(rfile):
        total += len(line)
        if total > MAX_HEADER_BYTES or len(fields) >= MAX_HEADERS:
            raise HTTPError("431 Request Header Fields Too Large", "headers")
        name, colon, value = line.partition(":")
        # No space before the colon, no folded lines (§5.1, §5.2): both were
        # used to smuggle requests past proxies that read them differently.
        if not colon or not TOKEN.fullmatch(name):
            raise HTTPError("400 Bad Request", f"bad header line {line[:80]!r}")
        value = value.strip(" \t")
        if CONTROL_IN_VALUE.search(value):
            raise HTTPError("400 Bad Request", f"a control character in {name}")
        # Drop names with "_": X_User and X-User would both become HTTP_X_USER
        # in the environ, so one could pass for the other (nginx does the same).
        if "_" not in name:
            fields.append((name, value))
    return fields


# --8<-- [start:read_body]
def read_body(rfile, request: Request, send_continue) -> "BodyReader":
    """Work out where the body ends (RFC 9112 §6.3) and give a reader for it.

    `send_continue()` sends `100 Continue` to a client that waits for it: at once
    for a chunked body (decoded here), else when the application first reads.
    """
    lengths = request.header("content-length")
    coding = request.header("transfer-encoding")
    continue_now = send_continue if request.expects_continue else None
    if coding is not None:
        if lengths is not None:
            # Two ways to measure one body: the classic request smuggling trick.
            raise HTTPError("400 Bad Request", "both Content-Length and chunked")
        if request.version == "HTTP/1.0":
            # HTTP/1.0 has no Transfer-Encoding, so the framing is faulty (§6.1).
            raise HTTPError("400 Bad Request", "HTTP/1.0 has no Transfer-Encoding")
        codings = [part.strip().lower() for part in coding.split(",")]
        if any(part != "chunked" for part in codings):
            raise HTTPError("501 Not Implemented", f"transfer coding {coding!r}")
        if len(codings) != 1:
            raise HTTPError("400 Bad Request", "chunked twice")
        if continue_now:
            continue_now()
        # Decoded up front, so the application sees an ordinary body with a
        # CONTENT_LENGTH, which is what PEP 3333 apps (Flask included) expect.
        body, length = read_chunked_body(rfile)
        return BodyReader(body, length)
    if lengths is None:
        return BodyReader(rfile, None)
    # Repeated lines or a list are fine when every value is the same (RFC 9110
    # §8.6); different lengths mean the message can't be trusted (RFC 9112 §6.3).
    values = {value.strip() for value in lengths.split(",")}
    if len(values) != 1 or not re.fullmatch(r"[0-9]{1,18}", min(values)):
        raise HTTPError("400 Bad Request", f"invalid Content-Length {lengths!r}")
    # 100 Continue goes out only when the application first reads the body: an
    # app that answers without reading (404, 405, 413) saves the client an upload.
    return BodyReader(rfile, int(min(values)), before_first_read=continue_now)


# --8<-- [end:read_body]


class UploadBudget:
    """The bytes of decoded chunked bodies that all connections hold at once.

    Each body has its cap (MAX_CHUNKED_BODY), but a thousand of them would still
    fill a disk: past this budget an upload is refused with 503 until others end.
    """

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self.lock = threading.Lock()  # connections decode bodies in many threads

    def take(self, size: int) -> None:
        """Reserve `size` bytes, or refuse the request for now (RFC 9110 §15.6.4)."""
        with self.lock:
            if self.used + size > self.limit:
                raise HTTPError("503 Service Unavailable", "too many uploads at once")
            self.used += size

    def give_back(self, size: int) -> None:
        """Free what a finished body had reserved."""
        with self.lock:
            self.used -= size


UPLOADS = UploadBudget(MAX_CHUNKED_BODIES)


def read_chunked_body(rfile) -> tuple[tempfile.SpooledTemporaryFile, int]:
    """Decode `size CRLF data CRLF ... 0 CRLF trailers CRLF` (RFC 9112 §7.1).

    The decoded bytes go into a file that stays in memory while it is small and
    moves to disk past SPOOL_IN_MEMORY, copied in pieces: a connection holds at
    most about 64 KiB of a body in memory, however large the upload. Its bytes
    count against UPLOADS until BodyReader.close() gives them back.
    """
    # Not a `with` block: the file outlives this function, BodyReader.close() ends it.
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    length = 0
    try:
        while size := read_chunk_size(rfile):
            if length + size > MAX_CHUNKED_BODY:
                raise HTTPError("413 Content Too Large", "the body is too large")
            UPLOADS.take(size)
            length += size
            while size:
                piece = rfile.read(min(size, PIECE))
                if not piece:
                    raise ClientDisconnected("the client closed inside a chunk")
                body.write(piece)
                size -= len(piece)
            if read_line(rfile) != "":
                raise HTTPError("400 Bad Request", "a chunk must end with CRLF")
        check_trailers(read_fields(rfile))
    except BaseException:
        body.close()
        UPLOADS.give_back(length)
        raise
    body.seek(0)
    return body, length


def read_chunk_size(rfile) -> int:
    """The size on a chunk's first line, in hex; chunk extensions are ignored."""
    size_text = read_line(rfile).split(";")[0].strip(" \t")  # §7.1.1: extensions
    if not re.fullmatch(r"[0-9A-Fa-f]{1,16}", size_text):
        raise HTTPError("400 Bad Request", f"invalid chunk size {size_text!r}")
    return int(size_text, 16)


def check_trailers(trailers: list[tuple[str, str]]) -> None:
    """Refuse trailer fields that would frame, route or control the request.

    Trailers arrive after the body, when those decisions are already made; a
    server that merged them into the headers could be told one thing by the head
    and another by the trailer (RFC 9110 §6.5.1, §6.5.2). We never pass trailers
    on to the application: it gets the head's fields only.
    """
    for name, _ in trailers:
        if name.lower() in NOT_IN_TRAILERS:
            raise HTTPError("400 Bad Request", f"{name} is not allowed in a trailer")


# --8<-- [start:body_reader]
class BodyReader:
    """`wsgi.input`: the request body as bytes, never read past its end (PEP 3333).

    A plain socket file would let an application read into the next request on the
    connection, or wait forever for bytes that never come; this reader stops at the
    body's length. It reads in pieces, so a client that announces a huge length and
    sends three bytes costs three bytes of memory, not the size it announced.
    `before_first_read` lets the server send `100 Continue` only when the
    application actually wants the body.
    """

    def __init__(self, stream, length: int | None, before_first_read=None) -> None:
        self.stream = stream
        self.length = length  # None: the request had no body at all
        self.remaining = length or 0
        self.before_first_read = before_first_read

    @property
    def waiting_for_continue(self) -> bool:
        """True when the client holds back its body until it hears `100 Continue`."""
        return self.before_first_read is not None and self.remaining > 0

    def _limit(self, size: int | None) -> int:
        """How much to read now: never more than what is left of the body."""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        if size and self.before_first_read is not None:
            send_continue, self.before_first_read = self.before_first_read, None
            send_continue()
        return size

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes of the body; everything left when size is omitted."""
        size = self._limit(size)
        pieces = []
        while size:
            try:
                piece = self.stream.read(min(size, PIECE))
            except OSError as error:
                raise ClientDisconnected(str(error)) from error
            if not piece:
                raise ClientDisconnected("the client closed before the whole body")
            pieces.append(piece)
            size -= len(piece)
            self.remaining -= len(piece)
        return b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        """One line of the body, ending with b"\\n" unless the body ends first."""
        size = self._limit(size)
        try:
            line = self.stream.readline(size)  # grows as it reads: never `size` at once
        except OSError as error:
            raise ClientDisconnected(str(error)) from error
        if len(line) < size and not line.endswith(b"\n"):
            raise ClientDisconnected("the client closed before the whole body")
        self.remaining -= len(line)
        return line

    def readlines(self, hint: int = -1) -> list[bytes]:
        """The remaining lines (stopping once `hint` bytes are read, if given)."""
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        """Iterating over wsgi.input gives its lines."""
        while line := self.readline():
            yield line

    def discard_rest(self) -> None:
        """Read and drop what the application left, so the next request starts clean."""
        while self.remaining:
            self.read(min(self.remaining, PIECE))

    def close(self) -> None:
        """Let go of a decoded chunked body (its temp file); never of the socket."""
        if isinstance(self.stream, tempfile.SpooledTemporaryFile):
            if not self.stream.closed:
                UPLOADS.give_back(self.length)
            self.stream.close()


# --8<-- [end:body_reader]


def check_status(status) -> None:
    """Refuse a status that isn't a str like '200 OK' (PEP 3333 "start_response")."""
    if type(status) is not str or not STATUS.fullmatch(status):
        raise ValueError(f"status must be a str like '200 OK', not {status!r}")
    status.encode("latin-1")  # HTTP sends it as latin-1 (PEP 3333); raises if not


def check_headers(headers) -> None:
    """Refuse headers that would break the response or split it in two."""
    if type(headers) is not list:
        raise TypeError(f"headers must be a list of (name, value), not {headers!r}")
    for header in headers:
        if type(header) is not tuple or len(header) != 2:
            raise TypeError(f"each header must be a (name, value) tuple: {header!r}")
        name, value = header
        if type(name) is not str or not TOKEN.fullmatch(name):
            raise ValueError(f"bad header name {name!r}")
        if name.lower() in HOP_BY_HOP:
            raise ValueError(f"{name} is a hop-by-hop header: the server sets it")
        # CR or LF in a value would let it inject headers (response splitting).
        if type(value) is not str or re.search(r"[\r\n\0]", value):
            raise ValueError(f"bad value for header {name}: {value!r}")
        value.encode("latin-1")  # headers are latin-1 text (PEP 3333); raises if not
        if name.lower() == "content-length" and not re.fullmatch("[0-9]+", value):
            raise ValueError(f"Content-Length must be a number, not {value!r}")


def error_page(status: str, message: str) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body of the server's own short plain-text error page."""
    body = f"{status}\n{message}\n".encode()
    type_and_length = [("Content-Type", "text/plain; charset=utf-8")]
    type_and_length.append(("Content-Length", str(len(body))))
    return type_and_length, body


def close_gently(sock, timeout: float = 1.0) -> None:
    """Close a connection: stop sending, then drain what the client still sends.

    A socket closed with unread bytes in it makes the kernel send a reset, which
    can destroy the response before the client has read it (RFC 9112 §9.6).
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(timeout)  # how long we wait for the client's side to end
        for _ in range(16):
            if not sock.recv(PIECE):
                break
    sock.close()
