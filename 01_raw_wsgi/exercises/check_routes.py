"""Check of exercise 01-routes: application() dispatches, with 404 and 405 + Allow.

Run by `lessons practice check` on the learner's workspace (practice/01-routes/).
"""

from lessons.practice_check import call_wsgi


def test_a_known_path_reaches_its_handler(learner):
    """GET /hello?name=Ada reaches hello() and answers 200 "Hello, Ada!"."""
    answer = call_wsgi(learner("app").application, path="/hello", query="name=Ada")
    assert answer.status == "200 OK", answer
    assert b"Hello, Ada!" in answer.body, answer


def test_an_unknown_path_is_404(learner):
    """GET /nowhere answers 404 Not Found."""
    answer = call_wsgi(learner("app").application, path="/nowhere")
    assert answer.status == "404 Not Found", answer


def test_a_wrong_method_is_405_with_allow(learner):
    """DELETE /hello answers 405 Method Not Allowed, and Allow lists GET and HEAD."""
    answer = call_wsgi(learner("app").application, method="DELETE", path="/hello")
    assert answer.status == "405 Method Not Allowed", answer
    allowed = answer.headers.get("Allow", "").replace(" ", "").split(",")
    assert sorted(allowed) == ["GET", "HEAD"], answer


def test_post_reaches_echo(learner):
    """POST /echo with a body answers 200 with the same bytes."""
    answer = call_wsgi(
        learner("app").application,
        method="POST",
        path="/echo",
        body=b"ping",
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status == "200 OK", answer
    assert answer.body == b"ping", answer
