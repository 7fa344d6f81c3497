"""A database that breaks or freezes during a request: 503, never a 500 or a hang.

test_database_down.py stops the server between requests. Here it goes wrong
while a request is using it: the connection drops between two steps of a
query, or the server process is frozen (SIGSTOP, as a stuck or swapping server
behaves) after the request has connected. Both are the real server of the test
session (the `mysql_control` fixture), and it always gets SIGCONT back.
"""

import os
import signal
import threading

import pytest

import db_connection
from db_connection import get_db

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


@pytest.fixture
def freezing(app, mysql_control, monkeypatch):
    """`freezing(True)`: from now on, freeze the server as each request connects.

    `freezing(False)` thaws it and stops the freezing. It is thawed after the
    test too, whatever happened, so the rest of the session keeps its database.
    The query timeout is 1 s here instead of 3: the same rule, a shorter wait.
    """
    monkeypatch.setattr(db_connection, "QUERY_TIMEOUT_SECONDS", 1)
    on_connect = [False]

    @app.before_request
    def freeze_the_server():
        """Connect (as any request does first), then stop the server's process."""
        get_db()
        if on_connect[0]:
            os.kill(mysql_control.pid, signal.SIGSTOP)

    def switch(on: bool):
        """Turn the freezing on, or off (and let the server run again: SIGCONT)."""
        on_connect[0] = on
        if not on:
            os.kill(mysql_control.pid, signal.SIGCONT)

    try:
        yield switch
    finally:
        switch(False)


def answer_within_bound(app, method, path, body):
    """Send one request in a thread; None if it is still waiting after 30 s.

    30 s is a bound for a hang, far above the query timeout: a bounded
    wait, not a timing assertion.
    """
    answers = []

    def ask():
        """The request, with its answer kept for the test."""
        answers.append(app.test_client().open(path, method=method, json=body))

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(timeout=30)
    return answers[0] if answers else None


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_a_request_in_flight_when_the_database_freezes_gets_503_not_a_hang(
    add_book, all_rows, app, freezing, method, path, body
):
    add_book()
    before = all_rows()
    freezing(True)
    response = answer_within_bound(app, method, path, body)
    freezing(False)  # thaw, to read the table
    assert response is not None, "the request hung while the database was frozen"
    assert_unavailable(response)
    assert all_rows() == before  # nothing was saved half way


def test_the_app_recovers_by_itself_once_the_database_thaws(add_book, app, freezing):
    add_book()
    freezing(True)
    assert_unavailable(answer_within_bound(app, "GET", "/health", None))
    freezing(False)  # thaw: the same app, no restart
    assert app.test_client().get("/health").status_code == 200
    assert app.test_client().get("/books/1").status_code == 200
