"""No client can knock the server over: too many of them, too few file descriptors,
no thread to spare, a body that never comes or one that is very large.

A server that dies under load serves nobody afterwards; this one waits, answers
503, or hangs up on the one bad client, and goes on serving everyone else.
"""

import contextlib
import hashlib
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from raw_http import RawClient, http_request, request_bytes

import server
from app import application


def test_two_hundred_slow_clients_do_not_keep_a_fast_one_waiting(address):
    with contextlib.ExitStack() as stack:
        for _ in range(200):
            slow = stack.enter_context(RawClient(address))
            slow.send(b"GET /hel")  # half a request line, and then nothing
        response = http_request(address, request_bytes("GET", "/hello?name=fast"))
    assert b"Hello, fast!" in response.body


def test_past_the_connection_limit_a_client_waits_for_a_free_slot(serve, monkeypatch):
    monkeypatch.setattr(server, "MAX_CONNECTIONS", 2)
    address = serve(application)
    first, second = RawClient(address), RawClient(address)
    try:
        first.send(b"GET /hel")  # two connections hold both slots
        second.send(b"GET /hel")
        with RawClient(address) as third:
            third.send(request_bytes("GET", "/hello?name=third"))
            third.sock.settimeout(0.5)
            with pytest.raises(TimeoutError):
                third.sock.recv(1)  # no thread for it yet: it waits in the backlog
            first.close()  # a slot comes free
            third.sock.settimeout(5)
            assert b"Hello, third!" in third.read_response().body
    finally:
        first.close()
        second.close()


def system_backlog_limit() -> int:
    """The longest listen backlog the kernel allows (4096 on Linux since 5.4)."""
    path = Path("/proc/sys/net/core/somaxconn")
    return int(path.read_text()) if path.exists() else socket.SOMAXCONN


def test_a_burst_of_connections_waits_in_the_backlog_not_for_a_syn_retry():
    # Nothing accepts yet, so every connection must wait in the listen backlog.
    # With a backlog of 128 the kernel drops the rest of the burst, whose clients
    # try again a second later: longer than the 0.9 s each connect gets here.
    listening = server.WSGIServer("127.0.0.1", 0, application)
    with contextlib.ExitStack() as clients:
        clients.callback(listening.listener.close)
        for _ in range(min(300, system_backlog_limit())):
            address = listening.server_address
            clients.enter_context(socket.create_connection(address, timeout=0.9))


def test_when_no_thread_can_start_the_client_gets_503_and_the_server_goes_on(
    address, monkeypatch
):
    # Thread.start() raises RuntimeError when the system has no memory or no
    # thread left for one more; we make it fail once, here, as the system would.
    def start_fails_once(thread):
        monkeypatch.undo()  # the next thread starts normally
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", start_fails_once)
    with RawClient(address) as client:
        client.send(request_bytes("GET", "/hello?name=first"))
        response = client.read_response()
    assert (response.status, response.header("Retry-After")) == (503, "1")
    second = http_request(address, request_bytes("GET", "/hello?name=second"))
    assert b"Hello, second!" in second.body


def test_out_of_file_descriptors_the_server_waits_and_then_serves_again(step_dir):
    def allow_64_open_files():
        """Run in the child before server.py starts: as `ulimit -n 64` would."""
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    command = [sys.executable, "server.py", "--port", "0"]
    process = subprocess.Popen(
        command,
        cwd=step_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=allow_64_open_files,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 15)
        startup = process.stdout.readline() if ready else ""
        port = int(startup.rsplit(":", 1)[1].split(" ")[0])
        with contextlib.ExitStack() as clients:  # 80 clients: more than 64 files
            for _ in range(80):
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                clients.enter_context(connection)
            select.select([process.stderr], [], [], 5)  # it has run out: it says so
        # All 80 are gone: the server accepts again, as if nothing had happened.
        response = http_request(("127.0.0.1", port), request_bytes("GET", "/hello"))
        assert b"Hello, world!" in response.body
        assert process.poll() is None  # still running
    finally:
        process.kill()
        _, errors = process.communicate()
    assert "cannot accept a connection now ([Errno 24] Too many open files)" in errors
    assert "Traceback" not in errors


def test_a_content_length_the_client_never_sends_costs_no_memory(serve):
    address = serve(application)
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n"
    with RawClient(address) as client:
        client.send(head + b"abc")  # 100 GB announced, 3 bytes sent
        client.sock.shutdown(socket.SHUT_WR)  # and that is all that comes
        # No 500 and no MemoryError: the body ended early, so the server hangs up.
        assert client.read_until_closed() == b""
    assert "Traceback" not in serve.log.getvalue()
    assert http_request(address, request_bytes("GET", "/hello")).status == 200


def digest_app(environ, start_response):
    """Answer with the SHA-256 of the request body, read in 64 KiB pieces."""
    digest = hashlib.sha256()
    while piece := environ["wsgi.input"].read(64 * 1024):
        digest.update(piece)
    body = digest.hexdigest().encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def test_a_large_chunked_upload_is_not_held_in_memory(serve):
    address = serve(digest_app)
    data = os.urandom(8 * 1024 * 1024)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    tracemalloc.start()  # counts every allocation of this process: server included
    try:
        with RawClient(address) as client:
            client.send(head)
            for start in range(0, len(data), 256 * 1024):
                part = memoryview(data)[start : start + 256 * 1024]
                client.send(b"%X\r\n" % len(part))
                client.send(part)
                client.send(b"\r\n")
            client.send(b"0\r\n\r\n")
            response = client.read_response()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.body == hashlib.sha256(data).hexdigest().encode()
    # 8 MiB went through; decoded into memory and copied, it would take 16 MiB.
    assert peak < 2 * 1024 * 1024
