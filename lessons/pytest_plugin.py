"""Fixtures and helpers that the step tests share.

pytest loads this plugin by itself (see `[project.entry-points.pytest11]` in
pyproject.toml), so a step's tests can use these fixtures without importing them.

The database fixtures (steps 04 and 05) run every test on a real server:

- `mysql_server` (one per test session): the MYSQL_* settings of a running
  server. When MYSQL_HOST is set (environment or `.env`) that is your server;
  otherwise it is a throwaway one, started in a temporary folder and stopped when
  the tests end, even when they fail.
- `mysql_database` (per test): a function that creates a fresh database with a
  unique name (`test_<random hex>`), loads a schema file into it and returns the
  settings that point at it. Every database it made is dropped after the test,
  so tests never see each other's rows and never touch anyone's real databases.
- `mysql_control` (per test): stop and start the throwaway server on the same
  port, to test what the app does while its database is down.

A step's tests/conftest.py uses them like this:

    @pytest.fixture
    def app(mysql_database):
        settings = mysql_database(STEP_DIR / "schema.sql")  # MYSQL_* -> strings
        app = create_app(settings)  # or monkeypatch.setenv() each MYSQL_* setting
        yield app
"""

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lessons import mysql, system
from lessons.steps import ROOT

HOW_TO_RUN = """\
each step has its own app.py, so each step's tests run in a process of their own.
Run one of these instead:
    make test                 every step, one process each (or: lessons test)
    lessons test 04           one step
    pytest 04_mysql_crud      one step with plain pytest
    pytest tests              the course tooling and the docs"""


def step_folder_of(path: Path) -> Path | None:
    """The NN_name step folder that holds `path`, or None."""
    for folder in [path, *path.parents]:
        if folder.parent == ROOT and folder.name[:2].isdigit():
            return folder
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]):
    """Refuse a run that would reach more than one step, before importing any.

    Python imports a module once per process: if one run collected two steps,
    the second step's tests would get the first step's `app`. This hook runs
    before pytest imports any conftest.py, so nothing is imported by mistake.
    """
    here = early_config.invocation_params.dir
    paths = [here / argument.split("::")[0] for argument in args]
    paths = [path.resolve() for path in paths if path.exists()] or [here.resolve()]
    places = set()
    for path in paths:
        inside_course = path == ROOT or ROOT in path.parents
        if not inside_course:
            continue  # someone else's tests: not ours to judge
        places.add(step_folder_of(path) or (ROOT / "tests" if path != ROOT else ROOT))
    if ROOT in places or len(places) > 1:
        raise pytest.UsageError(HOW_TO_RUN)


def require_part(key: str) -> str:
    """Return the path of a system part (nginx, chromium, ...) or stop this test.

    Outside CI a missing part skips the test with the command that installs it.
    Under CI=true it fails instead: CI must never pass by skipping.
    """
    path = system.find(key)
    if path is None:
        message = system.missing_message(key)
        if system.in_ci():
            pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def mysql_throwaway_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[mysql.ThrowawayServer | None]:
    """The throwaway server of this test session, or None when MYSQL_HOST is set."""
    if mysql.settings_from_environment(request.config.rootpath) is not None:
        yield None
        return
    require_part("mariadb")
    server = mysql.ThrowawayServer(tmp_path_factory.mktemp("mysql"))
    try:
        server.start()
    except mysql.DatabaseUnavailable as problem:
        server.stop()
        pytest.fail(str(problem), pytrace=False)
    try:
        # A `kill` of pytest then stops the session like Ctrl-C, with teardown.
        with mysql.interrupt_on_termination():
            yield server
    finally:
        # Runs at the end of the session whatever the tests did; the server
        # also registered an atexit hook in case pytest itself is cut short.
        server.stop()


@pytest.fixture(scope="session")
def mysql_server(
    request: pytest.FixtureRequest,
    mysql_throwaway_server: mysql.ThrowawayServer | None,
) -> dict[str, str]:
    """The MYSQL_* settings of the server this test session uses."""
    if mysql_throwaway_server is not None:
        return mysql_throwaway_server.settings
    settings = mysql.settings_from_environment(request.config.rootpath)
    problem = mysql.server_problem(settings)
    if problem:
        pytest.fail(
            f"MYSQL_HOST is set (environment or .env), but {mysql.describe(settings)} "
            f"does not answer: {problem}. Start that server, or unset MYSQL_HOST "
            f"to let the tests start a throwaway one.",
            pytrace=False,
        )
    return settings


@pytest.fixture
def mysql_database(
    mysql_server: dict[str, str],
    mysql_throwaway_server: mysql.ThrowawayServer | None,
) -> Iterator[Callable[[Path | None], dict[str, str]]]:
    """A function that makes a fresh database for this test: see the module doc."""
    created: list[str] = []

    def make_database(schema_path: Path | None = None) -> dict[str, str]:
        """Create `test_<random hex>`, load the schema file, return its settings."""
        name = f"test_{secrets.token_hex(6)}"
        settings = mysql.create_database(mysql_server, name)
        created.append(name)  # from now on it is ours to drop
        if schema_path is not None:
            schema = Path(schema_path).read_text(encoding="utf-8")
            mysql.load_schema(settings, schema)
        return settings

    yield make_database

    if mysql_throwaway_server is not None:
        mysql_throwaway_server.start()  # a test may have stopped it; no-op if up
    for name in created:
        mysql.drop_database(mysql_server, name)


@pytest.fixture
def mysql_control(
    mysql_throwaway_server: mysql.ThrowawayServer | None,
) -> Iterator[mysql.ThrowawayServer]:
    """The session's throwaway server, to `.stop()` and `.start()` in a test.

    It restarts on the same port with the same data, so an app keeps its
    settings. After the test it is started again if the test left it stopped.
    """
    if mysql_throwaway_server is None:
        pytest.skip(
            "MYSQL_HOST is set, so the tests use your server and never stop it; "
            "unset MYSQL_HOST to run this test on a throwaway server"
        )
    yield mysql_throwaway_server
    mysql_throwaway_server.start()
