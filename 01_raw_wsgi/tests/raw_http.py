"""A tiny HTTP client on a plain socket, for testing the server byte by byte.

The server tests talk HTTP with plain sockets instead of an HTTP library, so they
can send exactly the bytes they mean (broken ones too) and see exactly the bytes
that come back.
"""

import socket
from dataclasses import dataclass

CLIENT_TIMEOUT = 5.0  # a test that waits longer than this has found a bug


@dataclass
class RawResponse:
    """One HTTP response as it came off the wire."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of a header (first one), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class RawClient:
    """A socket that sends raw bytes and reads HTTP responses one at a time."""

    def __init__(self, address) -> None:
        self.sock = socket.create_connection(address, timeout=CLIENT_TIMEOUT)
        self.reader = self.sock.makefile("rb")

    def __enter__(self) -> "RawClient":
        """`with RawClient(address) as client:` closes the socket at the end."""
        return self

    def __exit__(self, *exc_info) -> None:
        """Close the socket, whatever happened in the `with` block."""
        self.close()

    def close(self) -> None:
        """Close our end of the connection."""
        self.reader.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Send bytes exactly as given."""
        self.sock.sendall(data)

    def read_head(self) -> tuple[int, list[tuple[str, str]]]:
        """Read a status line and its header lines."""
        status_line = self.reader.readline().decode("latin-1")
        assert status_line.startswith("HTTP/1."), f"not a response: {status_line!r}"
        headers = []
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name, value.strip()))
        return int(status_line.split()[1]), headers

    def read_response(self, method: str = "GET") -> RawResponse:
        """Read one final response (skipping 100 Continue), body included."""
        status, headers = self.read_head()
        while status == 100:
            status, headers = self.read_head()
        response = RawResponse(status, headers, b"")
        if method == "HEAD" or status in (204, 304):
            return response
        if response.header("Transfer-Encoding") == "chunked":
            response.body = self.read_chunked()
        elif response.header("Content-Length") is not None:
            response.body = self.reader.read(int(response.header("Content-Length")))
        else:
            response.body = self.reader.read()  # the body ends when the server closes
        return response

    def read_chunked(self) -> bytes:
        """Decode a chunked body (RFC 9112 §7.1)."""
        body = b""
        while size := int(self.reader.readline().split(b";")[0], 16):
            body += self.reader.read(size)
            assert self.reader.readline() == b"\r\n"
        assert self.reader.readline() == b"\r\n"  # we send no trailers
        return body

    def read_until_closed(self) -> bytes:
        """Everything the server still sends until it closes the connection."""
        return self.reader.read()


def http_request(address, data: bytes, method: str = "GET") -> RawResponse:
    """Send one raw request on a new connection and read its response."""
    with RawClient(address) as client:
        client.send(data)
        return client.read_response(method)


def request_bytes(
    method="GET", target="/", body=b"", headers="", version="HTTP/1.1"
) -> bytes:
    """The bytes of a well-formed request; `headers` adds "Name: value\\r\\n" lines."""
    head = f"{method} {target} {version}\r\nHost: test\r\n{headers}"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body
