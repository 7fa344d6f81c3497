"""A database that breaks or freezes during a request: 503, never a 500 or a hang.

test_database_down.py stops the server between requests. Here it goes wrong
while a request is using it: the connection drops between two steps of a
query, or the server process is frozen (SIGSTOP, as a stuck or swapping server
behaves) after the request has connected. The frozen one is the real server
of the test session that `mysql_control` stops (`mysql_stoppable_server`).
"""

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

import db_connection
from app import create_app
from db_connection import get_db

SCHEMA = Path(__file__).resolve().parent.parent / "schema.sql"
BOOK = {"title": "Dune", "author": "Frank Herbert"}  # the one book in each database

READS = ["/health", "/books", "/books/1"]
WRITES = [
    ("POST", "/books", {"title": "Dune", "author": "Frank Herbert"}),
    ("PUT", "/books/1", {"title": "Dune", "author": "Frank Herbert"}),
    ("PATCH", "/books/1", {"year": 1965}),
    ("DELETE", "/books/1", None),
]
REQUESTS = [("GET", path, None) for path in READS] + WRITES


def assert_unavailable(response):
    """503 problem details with a Retry-After header in seconds (RFC 9110 10.2.3)."""
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 503
    assert int(response.headers["Retry-After"]) > 0


def test_a_connection_dropped_between_cursor_and_query_is_503(
    app, database, mysql_connect
):
    # mysql-connector reports this one as ProgrammingError("Failed processing
    # format-parameters ...") with the lost connection as its cause.
    @app.get("/drop-then-query")
    def drop_then_query():
        """Make a cursor, have the server kill our connection, then query."""
        cursor = get_db().cursor()
        with mysql_connect(database) as admin, admin.cursor() as killer:
            killer.execute("KILL CONNECTION %s", (get_db().connection_id,))
        cursor.execute("SELECT id FROM books WHERE id = %s", (1,))
        return {"rows": cursor.fetchall()}

    assert_unavailable(app.test_client().get("/drop-then-query"))


@dataclass
class Frozen:
    """One request sent while the server was frozen, on a database of its own."""

    app: Flask
    settings: dict  # its database
    before: list  # the books table before the request...
    answer: object = None  # ...the answer (None: it hung)...
    after: list = field(default_factory=list)  # ...and the table afterwards


def books_in(settings, mysql_connect) -> list:
    """Every row of the books table, read straight from the database."""
    with mysql_connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM books ORDER BY id")
        return cursor.fetchall()


def freeze(pid: int) -> None:
    """Stop the server process (SIGSTOP) and wait until all its threads have.

    kill() returns before the process has stopped: Linux stops each thread when
    it next runs in the kernel, so on a busy machine a thread woken by a query
    can still answer it. (Seen here: /proc still said "R", running, right
    after kill(); in about one `make test` in ten, a GET sent at once got its
    200.) /proc/PID/task/*/stat gives each thread's state; "T" is stopped.
    """
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10  # a bound, far above the milliseconds it takes
    while time.monotonic() < deadline:
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that just ended
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
        if all(state == "T" for state in states):
            return
        time.sleep(0.001)
    raise AssertionError(f"the database server (pid {pid}) did not stop in 10 s")


@pytest.fixture(scope="module")
def frozen(mysql_stoppable_server, mysql_module_database, mysql_connect):
    """Every request of REQUESTS, in flight at once while the server is frozen.

    A freeze costs a wait (the query timeout), so the requests share one: each
    has an app and a database of its own with one book in it; all of them
    connect, then the server is frozen (SIGSTOP) once, and every query waits
    out the same timeout. The query timeout is 1 s here instead of 3: the same
    rule, a shorter wait. The server always gets SIGCONT back, so the rest of
    the session keeps its database. Each test below checks its own request.
    """
    server = mysql_stoppable_server
    freezing = threading.Event()  # set while the requests below are sent
    all_connected = threading.Barrier(  # the last request to connect freezes it
        len(REQUESTS), action=lambda: freeze(server.pid), timeout=30
    )

    def connect_then_freeze():
        """Connect (as any request does first); once all have, freeze the server."""
        get_db()
        if freezing.is_set():
            all_connected.wait()

    requests = {}
    for method, path, _body in REQUESTS:
        settings = mysql_module_database(SCHEMA, server=server.settings)
        app = create_app({"TESTING": True, **settings})
        app.before_request(connect_then_freeze)
        assert app.test_client().post("/books", json=BOOK).status_code == 201
        before = books_in(settings, mysql_connect)
        requests[method, path] = Frozen(app, settings, before)

    def ask(method, path, body):
        """Send one request; keep its answer."""
        client = requests[method, path].app.test_client()
        requests[method, path].answer = client.open(path, method=method, json=body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db_connection, "QUERY_TIMEOUT_SECONDS", 1)
        asking = [threading.Thread(target=ask, args=r, daemon=True) for r in REQUESTS]
        freezing.set()
        try:
            for thread in asking:
                thread.start()
            # 30 s is a bound for a hang, far above the query timeout: a
            # bounded wait, not a timing assertion.
            deadline = time.monotonic() + 30
            for thread in asking:
                thread.join(timeout=max(0, deadline - time.monotonic()))
        finally:
            freezing.clear()  # from now on, requests no longer freeze the server
            all_connected.abort()  # (one still waiting gives up: it hung)
            os.kill(server.pid, signal.SIGCONT)  # thaw
    for frozen_request in requests.values():
        frozen_request.after = books_in(frozen_request.settings, mysql_connect)
    return requests


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_a_request_in_flight_when_the_database_freezes_gets_503_not_a_hang(
    frozen, method, path, body
):
    request = frozen[method, path]
    assert request.answer is not None, "the request hung while the database was frozen"
    assert_unavailable(request.answer)
    assert request.after == request.before  # nothing was saved half way


def test_the_app_recovers_by_itself_once_the_database_thaws(frozen):
    health = frozen["GET", "/health"]
    assert health.answer is not None, "the request hung while the database was frozen"
    assert_unavailable(health.answer)  # while it was frozen
    client = health.app.test_client()  # the same app, no restart, thawed now
    assert client.get("/health").status_code == 200
    assert client.get("/books/1").status_code == 200
