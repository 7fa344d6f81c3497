"""Check of exercise 03-factory: create_app() makes a new, configured app each call.

Run by `lessons practice check` on the learner's workspace (practice/03-factory/).
"""

from flask import Flask

from lessons.practice_check import shown


def test_returns_a_flask_app_with_the_routes(learner):
    """create_app() returns a Flask app whose GET /books answers 200."""
    app = learner("app").create_app()
    assert isinstance(app, Flask), f"create_app() returned {app!r}"
    response = app.test_client().get("/books")
    assert response.status_code == 200, shown(response)


def test_each_call_makes_a_new_app(learner):
    """Two calls give two different app objects."""
    create_app = learner("app").create_app
    assert create_app() is not create_app(), "both calls returned the same object"


def test_the_callers_settings_are_applied(learner):
    """create_app({"TESTING": True, "GREETING": "hi"}) has both settings."""
    app = learner("app").create_app({"TESTING": True, "GREETING": "hi"})
    assert app.testing and app.config.get("GREETING") == "hi", (
        f"TESTING={app.testing!r}, GREETING={app.config.get('GREETING')!r}"
    )
