"""Check of exercise 01-hello: GET /hello reads the query string, answers safe HTML.

Run by `lessons practice check` on the learner's workspace (practice/01-hello/).
"""

from lessons.practice_check import call_wsgi


def test_greets_the_name_from_the_query_string(learner):
    """GET /hello?name=Ada answers 200 with "Hello, Ada!" in an HTML page."""
    answer = call_wsgi(learner("app").application, path="/hello", query="name=Ada")
    assert answer.status == "200 OK", answer
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8", answer
    assert b"Hello, Ada!" in answer.body, answer


def test_says_exactly_how_long_the_body_is(learner):
    """Content-Length is the body's length in bytes, so the client knows its end."""
    answer = call_wsgi(learner("app").application, path="/hello", query="name=Ada")
    assert answer.headers.get("Content-Length") == str(len(answer.body)), answer


def test_greets_the_world_without_a_name(learner):
    """GET /hello with no query string answers "Hello, world!"."""
    answer = call_wsgi(learner("app").application, path="/hello")
    assert b"Hello, world!" in answer.body, answer


def test_escapes_html_in_the_name(learner):
    """A name like <b>x</b> comes back as text (&lt;b&gt;), never as HTML."""
    answer = call_wsgi(learner("app").application, path="/hello", query="name=<b>x</b>")
    assert b"&lt;b&gt;x&lt;/b&gt;" in answer.body, answer
    assert b"<b>" not in answer.body, answer


def test_reads_utf8_names(learner):
    """name=Zo%C3%AB (Zoë, percent-encoded UTF-8) is greeted as Zoë."""
    answer = call_wsgi(learner("app").application, path="/hello", query="name=Zo%C3%AB")
    assert "Hello, Zoë!".encode() in answer.body, answer
