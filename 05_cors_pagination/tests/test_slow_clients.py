"""Slow clients ("slowloris") cannot lock everyone else out of the chain.

A slowloris client opens a connection and sends its headers a byte at a time,
never finishing, to hold one of nginx's connections for as long as it can.
600 of them (from 127.0.0.2, another loopback address) hold connections while
a legitimate client (127.0.0.1) asks; then one of them learns that nginx gives
a header 10 s (client_header_timeout in deploy/nginx.conf.template).
"""

import contextlib
import http.client
import socket
import time

import pytest

SLOW_CLIENTS = 600
# Mostly waiting on nginx's timers: `lessons test` runs slow tests in a process
# of their own, beside the others (plain `pytest` runs them with the rest).
pytestmark = pytest.mark.slow
UNFINISHED_REQUEST = b"GET /books HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def slow_client(port: int) -> socket.socket:
    """A connection from 127.0.0.2 that has sent part of its headers, and waits."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=("127.0.0.2", 0)
    )
    sock.sendall(UNFINISHED_REQUEST)
    return sock


def legit_status(port: int) -> int | str:
    """A normal GET /health from 127.0.0.1: its status, or what went wrong."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    finally:
        connection.close()


def test_a_legit_client_is_served_while_600_slow_clients_hold_connections(chain):
    port = int(chain.url.rsplit(":", 1)[1])
    with contextlib.ExitStack() as held:
        slow = [held.enter_context(slow_client(port)) for _ in range(SLOW_CLIENTS)]
        statuses = [legit_status(port) for _ in range(10)]
        # Each trickles one more byte, as slowloris does. An nginx without
        # room enough (worker_connections 512) drops slow connections to
        # make room, and under more load than this it refuses legit ones.
        dropped = sum(not still_open(sock) for sock in slow)
    assert statuses == [200] * 10
    assert dropped == 0  # nginx had room for all of them, and everyone else


def still_open(sock: socket.socket) -> bool:
    """Send one more byte; False when nginx has closed or reset the connection."""
    try:
        sock.sendall(b"x")
        sock.setblocking(False)
        return sock.recv(1) != b""  # b"": closed by nginx
    except BlockingIOError:  # nothing to read: the connection is still open
        return True
    except OSError:  # reset by nginx
        return False


def test_a_client_that_never_finishes_its_headers_is_cut_off(chain):
    port = int(chain.url.rsplit(":", 1)[1])
    with slow_client(port) as sock:
        sock.settimeout(1)
        deadline = time.monotonic() + 30  # a bound far above the 10 s timeout
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"x")  # one byte a second: slowloris
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:  # reset_timedout_connection: nginx resets it
                closed = True
    assert closed, "nginx kept a never-ending header open for 30 s"
