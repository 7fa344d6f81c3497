"""Check of exercise 03-loop: the controllers package registers every controller.

Run by `lessons practice check` on the learner's workspace (practice/03-loop/).
"""

import pytest

from lessons.practice_check import shown


@pytest.fixture
def app(learner):
    """A new app from the workspace's factory."""
    return learner("app").create_app({"TESTING": True})


def test_every_controller_is_registered_in_alphabetical_order(app):
    """The books, health and home controllers are registered, in that order."""
    assert list(app.blueprints) == ["books", "health", "home"], (
        f"registered blueprints: {list(app.blueprints)}"
    )


def test_the_books_routes_answer(app):
    """GET /books/2 answers 200 with the book whose id is 2."""
    response = app.test_client().get("/books/2")
    assert response.status_code == 200, shown(response)
    assert response.get_json()["id"] == 2, shown(response)


def test_a_module_starting_with_underscore_is_skipped(app, workspace):
    """A helper module controllers/_helpers.py (no blueprint) is left alone."""
    helper = workspace / "controllers" / "_helpers.py"
    helper.write_text('"""A helper, not a controller."""\n')
    try:
        fresh = __import__("app").create_app({"TESTING": True})
    finally:
        helper.unlink()
    assert "_helpers" not in fresh.blueprints, f"registered: {list(fresh.blueprints)}"
