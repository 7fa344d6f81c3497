"""Where a server will listen: check the host and port first, and say who can reach it.

`lessons run` and `lessons docs` call these before they start anything, so a
port that is taken (by another server, or another learner's) is one line that
names a free port, not a traceback from inside the server. IPv4 only.
"""

import errno
import ipaddress
import os
import socket

from lessons import processes
from lessons.errors import LessonsError

# "Any address": every network interface of this machine. Only ever used when
# someone asks for it (--host 0.0.0.0), never by default.
EVERY_NETWORK = "0.0.0.0"  # noqa: S104


def ipv4_address(host: str) -> str:
    """The IPv4 address that `host` names ('localhost' -> '127.0.0.1')."""
    try:
        return socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0]
    except (socket.gaierror, UnicodeError):
        raise LessonsError(
            f"--host {host} is not an IPv4 address or name of this machine; "
            "try --host 127.0.0.1"
        ) from None


def can_listen(address: str, port: int) -> int:
    """0 when a server could listen on address:port now, else the errno why not."""
    with socket.socket() as probe:
        # As the servers do (socketserver's allow_reuse_address): a port that a
        # stopped server's connections still wait on (TIME_WAIT) counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as error:
            return error.errno or errno.EINVAL
    # bind() can succeed beside a server on a more specific address (BSD,
    # macOS), so also ask whether anything answers there.
    return errno.EADDRINUSE if processes.port_in_use(port, address) else 0


def free_port_near(address: str, port: int) -> int:
    """A free port close to `port` (8001 after 8000), easy to read out to a class."""
    # Ports below 1024 need administrator rights: 80 suggests 8080.
    first = port + 8000 if port < 1024 else port + 1
    for candidate in range(first, min(first + 100, 65536)):
        if can_listen(address, candidate) == 0:
            return candidate
    return processes.free_port(address)


def check_address(host: str, port: int, retry: str) -> None:
    """Stop with one helpful line when a server cannot listen on host:port;
    `retry` is the command to suggest, "lessons docs --port {port}"."""
    address = ipv4_address(host)
    problem = can_listen(address, port)
    if problem == 0:
        return
    if problem == errno.EADDRNOTAVAIL:
        raise LessonsError(
            f"--host {host} is not an address of this machine; try --host 127.0.0.1 "
            f"(this machine only) or --host {EVERY_NETWORK} (every network)"
        )
    if problem not in (errno.EADDRINUSE, errno.EACCES):
        raise LessonsError(f"cannot listen on {host}:{port}: {os.strerror(problem)}")
    suggestion = retry.format(port=free_port_near(address, port))
    if problem == errno.EADDRINUSE:
        raise LessonsError(
            f"port {port} is already in use on {host} (another server, perhaps "
            f"another learner's); this one is free: {suggestion}"
        )
    raise LessonsError(
        f"port {port} needs administrator rights (every port below 1024 does); "
        f"use a higher one: {suggestion}"
    )


def reach_notice(host: str, port: int) -> str | None:
    """One line saying who else can open the server, or None for loopback."""
    address = ipv4_address(host)
    if ipaddress.ip_address(address).is_loopback:
        return None  # 127.x.x.x: only programs on this machine can connect
    if address == EVERY_NETWORK:
        return (
            f"Listening on every network of this machine: anyone who can reach it "
            f"can open http://<this machine's address>:{port}/ (hostname -I shows "
            "the address); Ctrl-C stops it."
        )
    return (
        f"Listening on {address}: anyone who can reach that address can open "
        f"http://{address}:{port}/, not only this machine; Ctrl-C stops it."
    )
