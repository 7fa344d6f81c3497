"""A WSGI server built from sockets: gunicorn in miniature.

Step 01 shows the two halves of WSGI (PEP 3333). `app.py` is the application; this
file is the server. It speaks HTTP/1.1 to the browser (RFC 9112), turns each request
into one call, `application(environ, start_response)`, and turns what the application
returns back into HTTP. One thread per connection; the standard library only.

    python server.py [--host 127.0.0.1] [--port 8080] [module:callable]

Run it from the folder that holds your module (default `app:application`); it can
serve any WSGI application, the Flask apps of the later steps included (`app:app`).
"""

import argparse
import contextlib
import email.utils
import errno
import importlib
import io
import os
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass

MAX_LINE = 8 * 1024  # the longest request line or header line we read
MAX_HEADER_BYTES = 32 * 1024  # all header lines of one request together
MAX_HEADERS = 100  # header lines in one request
MAX_CHUNKED_BODY = 10 * 1024 * 1024  # a chunked body is decoded into memory: cap it
IDLE_TIMEOUT = 5.0  # seconds a client may stay silent before we hang up
SERVER_SOFTWARE = "wsgi-to-flask-step01/1.0"

# A token (RFC 9110 §5.6.2): what methods and header names are made of.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A status the application may set: three digits, a space, a reason (PEP 3333).
# 1xx is the server's business (100 Continue), never the application's.
STATUS = re.compile(r"[2-5][0-9][0-9] [^\r\n]*")
# Hop-by-hop headers describe one connection, so only the server sets them
# (PEP 3333 "Other HTTP Features", RFC 9110 §7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization"}
HOP_BY_HOP |= {"te", "trailer", "transfer-encoding", "upgrade"}


class HTTPError(Exception):
    """A request we refuse: the status line to answer with, and why."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class ClientDisconnected(Exception):
    """The client closed the connection, or stayed silent past the idle timeout."""


class AppLoadError(Exception):
    """`module:callable` could not be loaded; the message says why."""


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


def decode_line(
    raw: bytes, too_long: str = "431 Request Header Fields Too Large"
) -> str:
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


# --8<-- [start:body_reader]
class BodyReader:
    """`wsgi.input`: the request body as bytes, never read past its end (PEP 3333).

    A plain socket file would let an application read into the next request on the
    connection, or wait forever for bytes that never come; this reader stops at the
    body's length. `before_first_read` lets the server send `100 Continue` only when
    the application actually wants the body.
    """

    def __init__(self, stream, length: int, before_first_read=None) -> None:
        self.stream = stream
        self.remaining = length
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
        try:
            data = self.stream.read(size)
        except OSError as error:
            raise ClientDisconnected(str(error)) from error
        if len(data) < size:
            raise ClientDisconnected("the client closed before sending the whole body")
        self.remaining -= len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """One line of the body, ending with b"\\n" unless the body ends first."""
        size = self._limit(size)
        try:
            line = self.stream.readline(size)
        except OSError as error:
            raise ClientDisconnected(str(error)) from error
        if len(line) < size and not line.endswith(b"\n"):
            raise ClientDisconnected("the client closed before sending the whole body")
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
            self.read(min(self.remaining, 64 * 1024))


# --8<-- [end:body_reader]


class Response:
    """One response: what start_response recorded and what was sent so far."""

    def __init__(self, connection, method: str, version: str, keep_alive: bool) -> None:
        self.connection = connection
        self.method = method
        self.version = version
        self.keep_alive = keep_alive
        self.body = None  # the request's BodyReader, set once there is one
        self.status = None
        self.headers = []
        self.headers_sent = False
        self.sends_body = False  # False for HEAD, 204 and 304 (RFC 9110 §6.4.1)
        self.chunked = False
        self.content_length = None
        self.bytes_sent = 0

    # --8<-- [start:start_response]
    def start_response(self, status, headers, exc_info=None):
        """Record the status and headers; they are sent with the first body bytes."""
        if exc_info:
            try:
                if self.headers_sent:
                    # Too late to change the response: re-raise, and the server
                    # will close the connection (PEP 3333 "Error Handling").
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # break the frame <-> traceback reference cycle
        elif self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        check_status(status)
        check_headers(headers)
        self.status, self.headers = status, list(headers)
        return self.write  # the old-style write() callable (PEP 3333)

    # --8<-- [end:start_response]

    # --8<-- [start:framing]
    def response_head(self, body_finished: bool = False) -> bytes:
        """The status line and headers, deciding how the body's end is marked."""
        code = int(self.status[:3])
        self.sends_body = self.method != "HEAD" and code not in (204, 304)
        headers = list(self.headers)
        names = {name.lower() for name, _ in headers}
        if "content-length" in names:
            length = next(v for n, v in headers if n.lower() == "content-length")
            if not length.isascii() or not length.isdigit():
                raise ValueError(f"the application sent Content-Length: {length!r}")
            self.content_length = int(length)  # we send exactly this many bytes
        elif code in (204, 304):
            pass  # these never have a body, so no framing header (RFC 9110 §8.6)
        elif body_finished:
            self.content_length = 0
            headers.append(("Content-Length", "0"))
        elif self.version == "HTTP/1.1":
            self.chunked = True  # length unknown: send the body in chunks (§7.1)
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            self.keep_alive = False  # HTTP/1.0: closing the connection ends the body
        if self.body is not None and self.body.waiting_for_continue:
            self.keep_alive = False  # the client may never send the body it announced
        if not self.keep_alive:
            headers.append(("Connection", "close"))
        elif self.version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        if "date" not in names:
            headers.append(("Date", email.utils.formatdate(usegmt=True)))
        if "server" not in names:
            headers.append(("Server", SERVER_SOFTWARE))
        lines = [f"HTTP/1.1 {self.status}"] + [f"{n}: {v}" for n, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # --8<-- [end:framing]

    def write(self, data: bytes) -> None:
        """Send part of the body; the first non-empty part takes the headers along."""
        if self.status is None:
            raise AssertionError("the body started before start_response() was called")
        if not isinstance(data, bytes):
            raise TypeError(f"a WSGI body is bytes, not {type(data).__name__}")
        if not data:
            return  # an empty part sends nothing, not even the headers (PEP 3333)
        head = b""
        if not self.headers_sent:
            head, self.headers_sent = self.response_head(), True
        if not self.sends_body:
            data = b""  # HEAD, 204 and 304 get the headers only
        elif self.content_length is not None:
            room = self.content_length - self.bytes_sent
            if len(data) > room:
                self.connection.server.log("app sent more than its Content-Length")
                data = data[:room]  # never send more than we announced
        self.bytes_sent += len(data)
        if self.chunked and data:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        if head or data:
            self.connection.send(head + data)  # one send: headers and first part

    def finish(self) -> None:
        """End the body: headers if none went out yet, the last chunk if chunked."""
        if not self.headers_sent:
            if self.status is None:
                raise AssertionError("the application never called start_response()")
            head = self.response_head(body_finished=True)  # may refuse bad headers
            self.headers_sent = True
            self.connection.send(head)
        if self.sends_body and self.chunked:
            self.connection.send(b"0\r\n\r\n")
        short = (self.content_length or 0) > self.bytes_sent
        if self.sends_body and short:
            # The client waits for bytes that will never come; only closing ends it.
            self.connection.server.log("app sent less than its Content-Length")
            self.keep_alive = False

    def send_error(self, status: str, message: str) -> None:
        """A short plain-text error page from the server itself, then close."""
        body = f"{status}\n{message}\n".encode()
        self.status = status
        self.headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        self.keep_alive = False  # after an error we can't trust the framing
        self.write(body)
        self.finish()


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


class Connection:
    """One client connection, served by its own thread, one request after another."""

    def __init__(self, server: "WSGIServer", sock: socket.socket, address) -> None:
        self.server = server
        self.sock = sock
        self.client_address = address
        # One buffered reader for the whole connection: bytes of a pipelined next
        # request that arrive with this one wait in its buffer instead of being lost.
        self.rfile = sock.makefile("rb")
        self.request_line = "-"
        # Every read and send gives up after idle_timeout seconds of silence, so a
        # client that stops talking can't keep this thread forever. (One that sends
        # a byte every few seconds still can: in production nginx sits in front and
        # passes on only complete requests.)
        sock.settimeout(server.idle_timeout)
        # Send small writes at once instead of waiting to fill a packet (Nagle's
        # algorithm), which could hold a response back by tens of milliseconds.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def serve(self) -> None:
        """Answer requests until the client leaves or a response says close."""
        try:
            while self.handle_one_request():
                pass
        except (OSError, ClientDisconnected):
            pass  # the client went away, or was idle longer than the timeout
        finally:
            self.close()

    def handle_one_request(self) -> bool:
        """Read one request, run the application, send the response; True to go on."""
        self.request_line = "-"  # for the log, until we have read one
        request = None
        try:
            request = self.read_request()
            if request is None:
                return False  # the client closed the connection between requests
            keep_alive = request.keep_alive
            response = Response(self, request.method, request.version, keep_alive)
            response.body = self.make_body_reader(request, response)
        except HTTPError as error:
            method = request.method if request else "GET"
            response = Response(self, method, "HTTP/1.1", keep_alive=False)
            response.send_error(error.status, str(error))
            self.log_request(response)
            return False
        self.run_application(self.build_environ(request, response.body), response)
        if response.keep_alive:
            response.body.discard_rest()  # the next request starts after this body
        self.log_request(response)
        return response.keep_alive

    def read_request(self) -> Request | None:
        """Read and check the request line and header fields (RFC 9112 §3, §5)."""
        raw = self.rfile.readline(MAX_LINE + 1)
        if raw in (b"\r\n", b"\n"):
            raw = self.rfile.readline(MAX_LINE + 1)  # §2.2: skip one stray empty line
        if not raw:
            return None
        self.request_line = decode_line(raw, too_long="414 URI Too Long")
        method, path, query, version = parse_request_line(self.request_line)
        request = Request(method, version, path, query, self.read_headers())
        hosts = request.header_values("host")
        if len(hosts) > 1 or (version == "HTTP/1.1" and not hosts):
            raise HTTPError("400 Bad Request", "send exactly one Host header (§3.2)")
        return request

    def read_line(self) -> str:
        """The next line of the request head (or of a chunked body)."""
        raw = self.rfile.readline(MAX_LINE + 1)
        if not raw:
            raise ClientDisconnected("the client closed in the middle of a request")
        return decode_line(raw)

    def read_headers(self) -> list[tuple[str, str]]:
        """Header lines up to the empty line, as (name, value) pairs (RFC 9112 §5)."""
        headers, total = [], 0
        while line := self.read_line():
            total += len(line)
            if total > MAX_HEADER_BYTES or len(headers) >= MAX_HEADERS:
                raise HTTPError("431 Request Header Fields Too Large", "headers")
            name, colon, value = line.partition(":")
            # No space before the colon, no folded lines (§5.1, §5.2): both were
            # used to smuggle requests past proxies that read them differently.
            if not colon or not TOKEN.fullmatch(name):
                raise HTTPError("400 Bad Request", f"bad header line {line[:80]!r}")
            # Drop names with "_": X_User and X-User would both become HTTP_X_USER
            # in the environ, so one could pass for the other (nginx does the same).
            if "_" not in name:
                headers.append((name, value.strip(" \t")))
        return headers

    def make_body_reader(self, request: Request, response: Response) -> BodyReader:
        """Work out where the body ends (RFC 9112 §6) and give a reader for it."""
        length = request.header("content-length")
        coding = request.header("transfer-encoding")
        expects_continue = (
            request.version == "HTTP/1.1"  # an HTTP/1.0 Expect is ignored (RFC 9110)
            and (request.header("expect") or "").lower() == "100-continue"
        )

        def send_continue() -> None:
            """Tell the client to send its body now, unless we already answered."""
            if not response.headers_sent:
                self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

        if coding is not None:
            if length is not None:
                # Two ways to measure one body: the classic request smuggling trick.
                raise HTTPError(
                    "400 Bad Request", "both Content-Length and Transfer-Encoding"
                )
            codings = [part.strip().lower() for part in coding.split(",")]
            if any(part != "chunked" for part in codings):
                raise HTTPError("501 Not Implemented", f"transfer coding {coding!r}")
            if len(codings) != 1:
                raise HTTPError("400 Bad Request", "chunked twice")
            if request.version == "HTTP/1.0":
                # HTTP/1.0 has no Transfer-Encoding, so the framing can't be
                # trusted: read this body, answer, then close (RFC 9112 §6.1).
                response.keep_alive = False
            if expects_continue:
                send_continue()
            # Decoded up front, into memory (capped): the application then sees an
            # ordinary body with a CONTENT_LENGTH, which is what PEP 3333 apps
            # (Flask included) expect. Streaming servers decode as the app reads.
            data = self.read_chunked_body()
            return BodyReader(io.BytesIO(data), len(data))
        if length is None:
            return BodyReader(self.rfile, 0)
        if not re.fullmatch(r"[0-9]{1,18}", length):
            raise HTTPError("400 Bad Request", f"invalid Content-Length {length!r}")
        # 100 Continue goes out only when the application first reads the body: an
        # app that answers without reading (404, 405, 413) saves the client an upload.
        when_read = send_continue if expects_continue else None
        return BodyReader(self.rfile, int(length), when_read)

    def read_chunked_body(self) -> bytes:
        """Decode `size CRLF data CRLF ... 0 CRLF trailers CRLF` (RFC 9112 §7.1)."""
        body = bytearray()
        while True:
            line = self.read_line()
            size_text = line.split(";")[0].strip(" \t")  # drop chunk extensions
            if not re.fullmatch(r"[0-9A-Fa-f]{1,16}", size_text):
                raise HTTPError("400 Bad Request", f"invalid chunk size {size_text!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > MAX_CHUNKED_BODY:
                raise HTTPError("413 Content Too Large", "the body is too large")
            data = self.rfile.read(size)
            if len(data) < size:
                raise ClientDisconnected("the client closed in the middle of a chunk")
            body += data
            if self.read_line() != "":
                raise HTTPError("400 Bad Request", "a chunk must end with CRLF")
        self.read_headers()  # trailer fields: read past them, and drop them
        return bytes(body)

    # --8<-- [start:environ]
    def build_environ(self, request: Request, body: BodyReader) -> dict:
        """The environ dict: CGI variables plus the wsgi.* keys (PEP 3333)."""
        host, port = self.server.server_address
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",  # the app is mounted at the root of this server
            # %XX decoded, as latin-1 so every byte survives (PEP 3333, "Unicode").
            "PATH_INFO": urllib.parse.unquote(request.path, encoding="latin-1"),
            "QUERY_STRING": request.query,  # still encoded: the app parses it
            "SERVER_NAME": host,
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": request.version,
            "SERVER_SOFTWARE": SERVER_SOFTWARE,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,  # one thread per connection
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value  # these two have no HTTP_ prefix (CGI)
            elif key != "TRANSFER_ENCODING":  # we decoded it: the app sees a plain body
                key = "HTTP_" + key
                separator = "; " if key == "HTTP_COOKIE" else ", "
                old = environ.get(key)
                environ[key] = value if old is None else old + separator + value
        if request.header("transfer-encoding"):
            environ["CONTENT_LENGTH"] = str(body.remaining)
        return environ

    # --8<-- [end:environ]

    # --8<-- [start:write_response]
    def run_application(self, environ: dict, response: Response) -> None:
        """Call the application and send what it returns (PEP 3333)."""
        try:
            result = self.server.app(environ, response.start_response)
            try:
                for data in result:
                    response.write(data)  # headers go out with the first non-empty part
                response.finish()
            finally:
                # close() is how the application learns the response is over: it
                # must be called on success, on errors and when the client left.
                if hasattr(result, "close"):
                    result.close()
        except ClientDisconnected:
            response.keep_alive = False
        except Exception:
            self.server.log(traceback.format_exc().rstrip())  # for you, not the client
            response.keep_alive = False
            if not response.headers_sent:
                response.send_error("500 Internal Server Error", "the app failed")
            # Otherwise part of a response is already out: closing the connection is
            # the only way left to tell the client something went wrong.

    # --8<-- [end:write_response]

    def send(self, data: bytes) -> None:
        """Send bytes to the client; a closed or stuck client ends the request."""
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise ClientDisconnected(str(error)) from error

    def log_request(self, response: Response) -> None:
        """One access-log line in the Common Log Format (as Apache and nginx write)."""
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        line = self.request_line.encode("unicode_escape").decode().replace('"', '\\"')
        status = (response.status or "-").split(" ")[0]
        size = response.bytes_sent or "-"
        client = self.client_address[0]
        self.server.log(f'{client} - - [{when}] "{line}" {status} {size}')

    def close(self) -> None:
        """Close gently: stop sending, then drain what the client still sends.

        Closing a socket with unread bytes in it makes the kernel send a reset, which
        can destroy the response before the client reads it (RFC 9112 §9.6).
        """
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(1.0)
            for _ in range(16):
                if not self.sock.recv(64 * 1024):
                    break
        self.rfile.close()
        self.sock.close()


class WSGIServer:
    """Listens on host:port and serves each connection in a thread of its own.

    `WSGIServer("127.0.0.1", 0, app).serve_forever()` serves `app` on a free port
    until shutdown() is called from another thread; running_in_thread() does both.
    """

    def __init__(self, host, port, app, idle_timeout=IDLE_TIMEOUT, log_file=None):
        self.app = app
        self.idle_timeout = idle_timeout
        self.log_file = log_file  # None: sys.stderr
        self.listener = socket.create_server((host, port))  # raises when port in use
        self.server_address = self.listener.getsockname()[:2]
        self.listener.settimeout(0.1)  # wake up often enough to notice shutdown()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections = {}  # socket -> the thread serving it

    @property
    def port(self) -> int:
        """The port we listen on: the real one, also when you asked for port 0."""
        return self.server_address[1]

    def serve_forever(self) -> None:
        """Accept connections until shutdown() is called (or Ctrl-C)."""
        try:
            while not self.stopping.is_set():
                try:
                    sock, address = self.listener.accept()
                except TimeoutError:
                    continue
                thread = threading.Thread(
                    target=self.handle_connection, args=(sock, address), daemon=True
                )
                with self.lock:
                    self.connections[sock] = thread
                thread.start()
        finally:
            self.listener.close()

    def handle_connection(self, sock: socket.socket, address) -> None:
        """The thread body: serve one connection, then forget it."""
        try:
            Connection(self, sock, address).serve()
        finally:
            with self.lock:
                self.connections.pop(sock, None)

    def shutdown(self) -> None:
        """Stop accepting, wake the connection threads, and wait for them."""
        self.stopping.set()
        with self.lock:
            connections = list(self.connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # a blocked recv() returns now
        for _, thread in connections:
            thread.join(timeout=5)

    def close(self) -> None:
        """Close the listening socket (serve_forever also does this when it ends)."""
        self.listener.close()

    def log(self, message: str) -> None:
        """Write one line to the log (stderr unless another file was given)."""
        log_file = self.log_file or sys.stderr
        log_file.write(message + "\n")
        log_file.flush()


@contextlib.contextmanager
def running_in_thread(app, host="127.0.0.1", port=0, **options):
    """Serve `app` from a background thread for the `with` block (used by the tests)."""
    server = WSGIServer(host, port, app, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()


def load_app(spec: str):
    """Import `module:callable` from the current folder, like gunicorn does."""
    module_name, _, name = spec.partition(":")
    name = name or "application"
    sys.path.insert(0, os.getcwd())  # so `app:app` finds the app.py where you are
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise AppLoadError(f"importing {module_name!r} failed: {error}") from None
        raise AppLoadError(
            f"no module {module_name!r} in {os.getcwd()}: run server.py from the "
            f"folder that holds {module_name}.py"
        ) from None
    except Exception as error:
        raise AppLoadError(
            f"importing {module_name!r} failed: {type(error).__name__}: {error}"
        ) from None
    app = getattr(module, name, None)
    if not callable(app):
        raise AppLoadError(f"{module_name}.py has no callable named {name!r}")
    return app


def port_number(text: str) -> int:
    """argparse type for --port: 0 (any free port) up to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def idle_seconds(text: str) -> float:
    """argparse type for --timeout: seconds a client may stay silent, above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def main(argv=None) -> int:
    """The command line: load the app, listen, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Serve a WSGI application.")
    parser.add_argument("app", nargs="?", default="app:application")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=8080)  # 0: any free port
    parser.add_argument("--timeout", type=idle_seconds, default=IDLE_TIMEOUT)
    args = parser.parse_args(argv)
    spec = args.app if ":" in args.app else args.app + ":application"
    try:
        server = WSGIServer(args.host, args.port, load_app(spec), args.timeout)
    except AppLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = f"port {args.port} is already in use; pick another with --port"
        else:
            reason = error.strerror or str(error)
        where = f"{args.host}:{args.port}"
        print(f"error: cannot listen on {where}: {reason}", file=sys.stderr)
        return 2
    host, port = server.server_address
    print(f"Serving {spec} on http://{host}:{port} (press Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C
        server.serve_forever()  # closes the listening socket on its way out
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
