"""Debug mode is off unless you ask for it with `flask run --debug`.

The debugger of debug mode runs Python code typed into the browser, so app.py
never turns it on. Without it, a route that crashes answers a plain 500: no
traceback and no debugger page for the visitor (the error goes to the log).
"""

import importlib.util
import sys

import pytest


@pytest.fixture
def fresh_app(monkeypatch, step_dir):
    """A new, unused `app`, built from app.py the way `flask run` builds it.

    Flask refuses new routes on an app that has already served a request, and the
    shared `app` has served many by now. Loading app.py again gives a new object.
    """
    # FLASK_DEBUG=1 is what `flask run --debug` sets to ask for debug mode; the
    # shell that started pytest might have it, and nobody asks for it here.
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    spec = importlib.util.spec_from_file_location("fresh_app", step_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fresh_app", module)  # removed after the test
    spec.loader.exec_module(module)
    return module.app


def test_app_py_never_turns_debug_mode_on(fresh_app):
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
