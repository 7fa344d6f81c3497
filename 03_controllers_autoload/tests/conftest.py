"""Fixtures for step 03's tests: apps from the factory, and a copy of the step."""

import shutil
import sys
from pathlib import Path

import pytest

STEP_DIR = Path(__file__).resolve().parent.parent
# Import this step's modules (app.py, controllers/) the way a learner's project
# does: as top-level modules from the step folder.
sys.path.insert(0, str(STEP_DIR))

from app import create_app  # noqa: E402  (needs the sys.path line above)


@pytest.fixture(scope="session")
def step_dir():
    """This step's folder: where a learner runs `flask run` and the servers."""
    return STEP_DIR


@pytest.fixture
def app():
    """A new app from the factory, in testing mode: every test gets its own."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    """Flask's test client: sends requests to `app` without a server or a socket."""
    return app.test_client()


@pytest.fixture
def step_copy(tmp_path, step_dir):
    """A copy of this step's code in a temporary folder, for tests that add files."""
    copy = tmp_path / step_dir.name
    # Not your venv/ ("Run it" makes one here): thousands of files no test needs.
    skip = shutil.ignore_patterns("tests", "__pycache__", ".pytest_cache", "venv")
    shutil.copytree(step_dir, copy, ignore=skip)
    return copy
