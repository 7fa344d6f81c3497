"""A WSGI server built from sockets: gunicorn in miniature. Read this file first.

`app.py` is the application, this file the server (the two halves of PEP 3333).
Read it top to bottom: `Connection` serves one client, request after request
(`build_environ` and `run_application` are the WSGI call); `Response` is
`start_response` and what goes back: the headers with the first body bytes, and
where the body ends; `WSGIServer` listens and gives each connection a thread.
How a request is read off the wire (request line, header fields, bodies, limits)
is HTTP, not WSGI: that is `http11.py`, for when you want to know. The command
line (`python server.py --help`) is `command_line.py`. Standard library only.
"""

import contextlib
import email.utils
import socket
import sys
import threading
import time
import traceback
import urllib.parse

import command_line  # `python server.py`: the options, loading module:callable
import http11

IDLE_TIMEOUT = 5.0  # seconds a client may stay silent before we hang up
MAX_CONNECTIONS = 4000  # connections served at once (~20 KiB each when idle)
SERVER_SOFTWARE = "wsgi-to-flask-step01/1.0"


class Connection:
    """One client connection, served by its own thread, one request after another."""

    def __init__(self, server: "WSGIServer", sock: socket.socket, address) -> None:
        self.server, self.sock, self.client_address = server, sock, address
        # One buffered reader for the whole connection: bytes of a pipelined next
        # request that arrive with this one wait in its buffer instead of being lost.
        self.rfile = sock.makefile("rb")
        # Every read and send gives up after idle_timeout seconds of silence, so a
        # silent client can't keep this thread (nginx also stops a slow one).
        sock.settimeout(server.idle_timeout)
        # Send small writes at once, not after waiting to fill a packet (Nagle).
        with contextlib.suppress(OSError):  # macOS: EINVAL if the client reset it
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> bool:
        """Read one request, run the application, send the response; True to go on."""
        self.request_line, request = "-", None
        try:
            line = http11.read_request_line(self.rfile)
            if line is None:
                return False  # the client closed the connection between requests
            self.request_line = line
            request = http11.read_request_head(line, self.rfile)
            response = Response(self, request.method, request.version)
            response.keep_alive = request.keep_alive
            response.body = http11.read_body(self.rfile, request, response.go_ahead)
        except http11.HTTPError as error:  # a request we refuse: say why, then hang up
            response = Response(self, request.method if request else "GET", "HTTP/1.1")
            response.send_error(error.status, str(error))
            self.log_request(response)
            return False
        try:
            self.run_application(self.build_environ(request, response.body), response)
            if response.keep_alive:
                response.body.discard_rest()  # the next request starts after this body
        finally:
            response.body.close()  # a decoded chunked body: its temp file goes now
        self.log_request(response)
        return response.keep_alive

    # --8<-- [start:environ]
    def build_environ(self, request: http11.Request, body: http11.BodyReader) -> dict:
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
        if body.length is not None:
            environ["CONTENT_LENGTH"] = str(body.length)  # a chunked body's too
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value  # no HTTP_ prefix for this one (CGI)
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):  # set above
                key = "HTTP_" + key
                separator = "; " if key == "HTTP_COOKIE" else ", "
                old = environ.get(key)
                environ[key] = value if old is None else old + separator + value
        return environ

    # --8<-- [end:environ]

    # --8<-- [start:write_response]
    def run_application(self, environ: dict, response: "Response") -> None:
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
        except http11.ClientDisconnected:
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
            raise http11.ClientDisconnected(str(error)) from error

    def log_request(self, response: "Response") -> None:
        """One access-log line in the Common Log Format (as Apache and nginx write)."""
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        line = self.request_line.encode("unicode_escape").decode().replace('"', '\\"')
        status, size = (response.status or "-")[:3], response.bytes_sent or "-"
        client = self.client_address[0]
        self.server.log(f'{client} - - [{when}] "{line}" {status} {size}')


class Response:
    """One response: what start_response recorded and what was sent so far."""

    def __init__(self, connection: Connection, method: str, version: str) -> None:
        self.connection = connection
        self.method, self.version = method, version
        self.keep_alive = False  # until the request says otherwise
        self.body = None  # the request's BodyReader, once there is one
        self.status, self.headers = None, []  # set by start_response
        self.sends_body = False  # False for HEAD, 204 and 304 (RFC 9110 §6.4.1)
        self.chunked, self.content_length = False, None  # how the body's end is marked
        self.headers_sent, self.bytes_sent = False, 0  # what went out so far

    def go_ahead(self) -> None:
        """Send `100 Continue` to a client holding back its body (RFC 9110 §10.1.1)."""
        if not self.headers_sent:  # too late once the answer has started
            self.connection.send(b"HTTP/1.1 100 Continue\r\n\r\n")

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
        http11.check_status(status)  # a str like "200 OK" (the rules: http11.py)
        http11.check_headers(headers)  # (name, value) pairs that can't break the head
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
        if head and len(data) > http11.PIECE:
            self.connection.send(head)  # a large part goes alone, rather than copied
            head = b""
        if head or data:
            self.connection.send(head + data)  # one send: headers and first part

    def finish(self) -> None:
        """End the body: headers if none went out yet, the last chunk if chunked."""
        if not self.headers_sent:
            if self.status is None:
                raise AssertionError("the application never called start_response()")
            head, self.headers_sent = self.response_head(body_finished=True), True
            self.connection.send(head)
        if self.sends_body and self.chunked:
            self.connection.send(b"0\r\n\r\n")
        if self.sends_body and (self.content_length or 0) > self.bytes_sent:
            # The client waits for bytes that will never come; only closing ends it.
            self.connection.server.log("app sent less than its Content-Length")
            self.keep_alive = False

    def send_error(self, status: str, message: str) -> None:
        """A short plain-text error page from the server itself, then close."""
        self.status = status
        self.headers, body = http11.error_page(status, message)
        self.keep_alive = False  # after an error we can't trust the framing
        self.write(body)
        self.finish()


class WSGIServer:
    """Listens on host:port; serves each connection in a thread of its own until
    shutdown() is called from another thread (or Ctrl-C). Port 0: any free port."""

    def __init__(self, host, port, app, idle_timeout=IDLE_TIMEOUT, log_file=None):
        self.app = app
        self.idle_timeout = idle_timeout
        self.log_file = log_file  # None: sys.stderr
        # The kernel queues connections until we accept them. Python's default
        # queue, 128, is short (a burst past it retries in 1 s): take the most.
        self.listener = socket.create_server((host, port), backlog=socket.SOMAXCONN)
        self.server_address = self.listener.getsockname()[:2]
        self.listener.settimeout(0.1)  # wake up often enough to notice shutdown()
        self.stopping = threading.Event()
        # A thread per connection, up to a limit; past it, clients wait in the
        # backlog (gunicorn's threaded worker: 1000 for each worker process).
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def serve_forever(self) -> None:
        """Accept connections until shutdown() is called (or Ctrl-C)."""
        try:
            while not self.stopping.is_set():
                if self.slots.acquire(timeout=0.1) and not self.accept_one():
                    self.slots.release()  # no connection took the slot
        finally:
            self.listener.close()

    def accept_one(self) -> bool:
        """Accept a connection and start its thread; False if none was started."""
        try:
            sock, address = self.listener.accept()
        except TimeoutError:
            return False  # nobody came: look at self.stopping again
        except OSError as error:  # out of file descriptors (EMFILE: `ulimit -n`)
            self.log(f"cannot accept a connection now ({error}): waiting")
            time.sleep(0.1)  # the client waits in the backlog while others end
            return False
        thread = threading.Thread(
            target=self.serve_connection, args=(sock, address), daemon=True
        )
        try:
            thread.start()
            return True
        except RuntimeError as error:  # "can't start new thread": out of memory
            self.log(f"cannot start a thread ({error}): 503 to this client")
            with contextlib.suppress(OSError):  # RFC 9110 §15.6.4
                sock.send(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n")
            http11.close_gently(sock, timeout=0.1)  # this pause is our back-off too
            return False

    def serve_connection(self, sock: socket.socket, address) -> None:
        """A connection's thread: answer until the client leaves or we close."""
        connection = Connection(self, sock, address)
        try:
            while connection.handle_one_request():
                pass  # keep-alive: the next request comes on the same connection
        except (OSError, http11.ClientDisconnected):
            pass  # the client went away, or was idle longer than the timeout
        finally:
            connection.rfile.close()
            http11.close_gently(sock)
            self.slots.release()

    def shutdown(self) -> None:
        """Stop accepting; connections finish by themselves (or with the process)."""
        self.stopping.set()

    def log(self, message: str) -> None:
        """Write one line to the log (stderr unless another file was given)."""
        log_file = self.log_file or sys.stderr
        log_file.write(message + "\n")  # one write, so lines of two threads don't mix
        log_file.flush()


if __name__ == "__main__":
    sys.exit(command_line.main(WSGIServer, IDLE_TIMEOUT))
