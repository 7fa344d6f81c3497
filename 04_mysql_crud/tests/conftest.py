"""Fixtures for step 04's tests: apps on a fresh database each, and a step copy.

The database comes from the course's pytest plugin (pytest loads it by itself):
`mysql_database` makes a new, uniquely named database on a real MariaDB/MySQL
server, loads schema.sql into it, and drops it after the test.
"""

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
def database(mysql_database):
    """The MYSQL_* settings of a fresh database with this step's schema.sql loaded."""
    return mysql_database(STEP_DIR / "schema.sql")


@pytest.fixture(scope="module")
def module_database(mysql_module_database):
    """One database for all the tests of a module, for a server they share."""
    return mysql_module_database(STEP_DIR / "schema.sql")


@pytest.fixture
def app(database):
    """A new app from the factory, in testing mode, on this test's own database."""
    return create_app({"TESTING": True, **database})


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


@pytest.fixture
def runner(app):
    """Runs the app's commands (`flask init-db`, ...) as the terminal would."""
    return app.test_cli_runner()


@pytest.fixture
def book():
    """A valid book to send, as a learner would type it."""
    return {
        "title": "Fluent Python",
        "author": "Luciano Ramalho",
        "year": 2022,
        "isbn": "978-1-4920-5635-5",
        "price": "65.99",
    }


@pytest.fixture
def query(database, mysql_connect):
    """Run SQL on the test's database directly, not through the app: the truth."""

    def run(sql, params=()):
        """Execute one statement; return its rows as dicts (or [] if it has none)."""
        with mysql_connect(database) as connection:
            with connection.cursor(dictionary=True) as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.with_rows else []
            connection.commit()
        return rows

    return run


@pytest.fixture
def all_rows(query):
    """Every row of the books table, exactly as stored, for before/after checks."""

    def read():
        """The whole table, ordered by id."""
        return query("SELECT * FROM books ORDER BY id")

    return read


@pytest.fixture
def add_book(client, book):
    """Create a book through the API (the fixture's book, with changes); return it."""

    def add(**changes):
        """POST the book with `changes` applied; fail unless the answer is 201."""
        response = client.post("/books", json={**book, **changes})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return add
