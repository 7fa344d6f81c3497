"""Fixtures for step 02's tests: this step's `app` and Flask's test client."""

import sys
from pathlib import Path

import pytest

STEP_DIR = Path(__file__).resolve().parent.parent
# Import this step's modules (app.py) the way a learner's project does:
# as top-level modules from the step folder.
sys.path.insert(0, str(STEP_DIR))

from app import app as step_app  # noqa: E402  (needs the sys.path line above)


@pytest.fixture(scope="session")
def step_dir():
    """This step's folder: where a learner runs `flask run` and the servers."""
    return STEP_DIR


@pytest.fixture
def app():
    """The module-level `app` from app.py, exactly what `flask run` serves."""
    return step_app


@pytest.fixture
def client(app):
    """Flask's test client: sends requests to `app` without a server or a socket."""
    return app.test_client()
