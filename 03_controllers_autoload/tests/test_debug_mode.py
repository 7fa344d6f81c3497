"""Debug mode is off unless you ask for it with `flask run --debug`.

The debugger of debug mode runs Python code typed into the browser, so app.py
never turns it on. Without it, a route that crashes answers a plain 500: no
traceback and no debugger page for the visitor (the error goes to the log).
"""

import pytest

from app import create_app


@pytest.fixture
def fresh_app(monkeypatch):
    """A new app, built the way `flask run` builds it: create_app() with no settings.

    Step 02 had to load app.py a second time to get an app that had served no
    request yet. With a factory, every call makes a new one.
    """
    # FLASK_DEBUG=1 is what `flask run --debug` sets to ask for debug mode; the
    # shell that started pytest might have it, and nobody asks for it here.
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return create_app()


def test_create_app_never_turns_debug_mode_on(fresh_app):
    assert fresh_app.debug is False


def test_a_crashing_route_answers_500_without_traceback_or_debugger(fresh_app):
    @fresh_app.get("/crash")
    def crash():
        """A route with a bug, as every project has one day."""
        raise RuntimeError("a secret the visitor must never see")

    response = fresh_app.test_client().get("/crash")

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "a secret", "Werkzeug Debugger"):
        assert leak not in body
