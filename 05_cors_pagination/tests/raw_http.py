"""Raw HTTP on a plain socket, for requests no HTTP library would send.

The hostile tests send exactly the bytes they mean (a lowercase method, a
chunked body, a lying Host) and read the answer as it came off the wire.
"""

import socket


def exchange(
    port: int, data: bytes, until_close: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes to 127.0.0.1:port; return (status, headers, body).

    Header names come back in lower case. The body is read up to the answer's
    Content-Length; with `until_close`, until the server closes the connection
    (nginx does after `Connection: close`, and a gzipped answer has no length).
    Not "until it closes" by default: the development server keeps a connection
    whose body it did not read open for a while, even after Connection: close.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        while (until_close or len(body) < length) and (chunk := sock.recv(65536)):
            body += chunk
    return int(status_line.split()[1]), headers, body
