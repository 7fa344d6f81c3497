"""Check of exercise 01-middleware: a header at the start, a log line at the end.

Run by `lessons practice check` on the learner's workspace (practice/01-middleware/).
"""

import re

from lessons.practice_check import call_wsgi


def test_adds_x_response_time(learner):
    """The wrapped app's answer carries X-Response-Time, like "0.12ms"."""
    answer = call_wsgi(learner("middleware").timed_application, path="/hello")
    time_header = answer.headers.get("X-Response-Time", "")
    assert re.fullmatch(r"\d+\.\d\dms", time_header), answer


def test_passes_the_answer_through_unchanged(learner):
    """Status, Content-Type and body are the wrapped app's own."""
    app = learner("app").application
    plain = call_wsgi(app, path="/hello", query="name=Ada")
    timed = call_wsgi(
        learner("middleware").TimingMiddleware(app), path="/hello", query="name=Ada"
    )
    assert timed.status == plain.status, timed
    assert timed.body == plain.body, timed
    assert timed.headers.get("Content-Type") == plain.headers["Content-Type"], timed


def test_logs_one_line_when_the_response_closes(learner):
    """After the response is closed, wsgi.errors has "GET /hello 200 OK 0.12ms"."""
    answer = call_wsgi(learner("middleware").timed_application, path="/hello")
    assert re.fullmatch(r"GET /hello 200 OK \d+\.\d\dms\n", answer.log), (
        f"{answer}\n       logged: {answer.log!r}"
    )
