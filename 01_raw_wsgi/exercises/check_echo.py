"""Check of exercise 01-echo: POST /echo sends back exactly the body it was sent.

Run by `lessons practice check` on the learner's workspace (practice/01-echo/).
"""

from lessons.practice_check import call_wsgi


def post(learner, body, headers=None):
    """POST /echo with `body` to the workspace's application."""
    app = learner("app").application
    return call_wsgi(app, method="POST", path="/echo", body=body, headers=headers)


def test_sends_the_body_back(learner):
    """POST /echo with the bytes "ping" answers 200 with exactly "ping"."""
    answer = post(learner, b"ping", {"Content-Type": "text/plain"})
    assert answer.status == "200 OK", answer
    assert answer.body == b"ping", answer


def test_keeps_the_content_type(learner):
    """The answer keeps the request's Content-Type, and adds nosniff."""
    answer = post(learner, b'{"a": 1}', {"Content-Type": "application/json"})
    assert answer.headers.get("Content-Type") == "application/json", answer
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", answer


def test_bytes_that_are_not_utf8_come_back_unchanged(learner):
    """Bytes that are not text (\\xff\\x00) come back byte for byte."""
    answer = post(learner, b"\xff\x00\xfe", {"Content-Type": "image/png"})
    assert answer.body == b"\xff\x00\xfe", answer
    assert answer.headers.get("Content-Length") == "3", answer


def test_no_body_and_no_type(learner):
    """POST /echo with no body answers 200, empty, as application/octet-stream."""
    answer = post(learner, b"")
    assert answer.status == "200 OK" and answer.body == b"", answer
    assert answer.headers.get("Content-Type") == "application/octet-stream", answer
