"""The fixtures the step tests share: a database, a server, a browser, the chain.

pytest loads this plugin by itself (`[project.entry-points.pytest11]` in
pyproject.toml), so a step's tests use them without importing anything from
the tooling; `pytest --fixtures` shows how to call each one. A fixture whose
system part is missing skips with the install command (fails under CI=true).
"""

import contextlib
import itertools
import os
import secrets
import shutil
import signal
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lessons import browser, database, processes, production, settings, system
from lessons.steps import ROOT
from lessons.throwaway import DatabaseUnavailable, ThrowawayServer, temporary_server

# `lessons test` starts one throwaway server for all steps and names its folder here.
SHARED_SERVER = "LESSONS_SHARED_MYSQL"
HOW_TO_RUN = """\
each step has its own app.py, so each step's tests run in a process of their own.
Run one of these instead:
    make test                 every step, one process each (or: lessons test)
    lessons test 04           one step
    pytest 04_mysql_crud      one step with plain pytest
    pytest tests              the course tooling and the docs"""


def step_folder_of(path: Path) -> Path | None:
    for folder in [path, *path.parents]:
        if folder.parent == ROOT and folder.name[:2].isdigit():
            return folder
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C (SIGINT) work in the programs the tests start, as in a terminal.

    A shell starts a background job (`make test &`, `nohup`) with SIGINT
    ignored, and every program it starts inherits that: the tests that press
    Ctrl-C on a server would wait for it in vain. A handler is not inherited
    (exec resets it to the default), so one here gives the children theirs.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]):
    """Refuse a run that would reach more than one step, before importing any.

    Python imports a module once per process: if one run collected two steps,
    the second step's tests would get the first step's `app`.
    """
    here = early_config.invocation_params.dir
    paths = [here / argument.split("::")[0] for argument in args]
    paths = [path.resolve() for path in paths if path.exists()] or [here.resolve()]
    places = set()
    for path in paths:
        if path == ROOT or ROOT in path.parents:  # others' tests are not ours
            places.add(
                step_folder_of(path) or (ROOT / "tests" if path != ROOT else ROOT)
            )
    if ROOT in places or len(places) > 1:
        raise pytest.UsageError(HOW_TO_RUN)


def require_part(key: str) -> str:
    """The path of a system part, or a skip (CI: a failure) that says how to get it."""
    path = system.find(key)
    if path is None:
        message = system.missing_message(key)
        if system.in_ci():
            pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)")
        pytest.skip(message)
    return path


# Linux keeps /dev/shm in memory. A test server's data lives for one session,
# and every test creates and drops a database there: on a disk each of those
# waits for fsync, which other busy programs can make ten times slower.
MEMORY = Path("/dev/shm")  # noqa: S108  (each server gets its own mkdtemp folder)
ROOM_NEEDED = 512 * 1024 * 1024  # a test server's data takes 30-100 MB
SERVER_FOLDER_PREFIX = "lessons-test-mysql-"


def server_data_parent() -> str | None:
    """Where test servers keep their data: /dev/shm when it has room, else None
    (the usual temporary folder: macOS has no /dev/shm, Docker gives it 64 MB)."""
    with contextlib.suppress(OSError):
        if os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free > ROOM_NEEDED:
            return str(MEMORY)
    return None


def remove_leftover_folders(parent: str | None) -> None:
    """Remove test servers' folders that a killed test run left in memory."""
    if parent is None:
        return
    for folder in Path(parent).glob(f"{SERVER_FOLDER_PREFIX}*"):
        with contextlib.suppress(OSError):  # another run removed it first
            # An hour old and no server running there: its run has ended.
            old = time.time() - folder.stat().st_mtime > 3600
            if old and ThrowawayServer.attach(folder) is None:
                shutil.rmtree(folder, ignore_errors=True)


def started_server(request: pytest.FixtureRequest) -> ThrowawayServer:
    """A throwaway server for this session, stopped and removed after it."""
    require_part("mariadb")
    parent = server_data_parent()
    remove_leftover_folders(parent)
    stack = contextlib.ExitStack()  # what the `with` block's end would do...
    request.addfinalizer(stack.close)  # ...done when the session ends
    try:
        return stack.enter_context(temporary_server(parent, SERVER_FOLDER_PREFIX))
    except DatabaseUnavailable as problem:
        pytest.fail(str(problem), pytrace=False)


@pytest.fixture(scope="session")
def mysql_server(request: pytest.FixtureRequest) -> dict[str, str]:
    """The MYSQL_* settings of the server this test session makes databases on."""
    configured = settings.configured(request.config.rootpath)
    shared = os.environ.get(SHARED_SERVER)
    if shared and configured is None:
        server = ThrowawayServer.attach(Path(shared))
        if server is None:
            pytest.fail(f"the shared test server in {shared} is not running")
        return server.settings
    if configured is None:
        server = started_server(request)
        request.config.stash[STOPPABLE] = server  # plain pytest: stop this one
        return server.settings
    problem = database.server_problem(configured)
    if problem:
        pytest.fail(
            f"MYSQL_HOST is set (environment or .env), but "
            f"{settings.describe(configured)} does not answer: {problem}. Start "
            "that server, or unset MYSQL_HOST to let the tests start a throwaway one.",
            pytrace=False,
        )
    return configured


STOPPABLE = pytest.StashKey[ThrowawayServer]()


@pytest.fixture(scope="session")
def mysql_stoppable_server(request, mysql_server) -> ThrowawayServer:
    """A throwaway server a test may stop: the session's own, or one for these
    tests alone (when the session's is shared with other steps, or is yours)."""
    if STOPPABLE not in request.config.stash:
        if settings.configured(request.config.rootpath) is not None:
            pytest.skip(
                "MYSQL_HOST is set, so the tests use your server and never stop "
                "it; unset MYSQL_HOST to run this test on a throwaway server"
            )
        server = started_server(request)
        request.config.stash[STOPPABLE] = server
    return request.config.stash[STOPPABLE]


def database_maker(default_server: dict[str, str]):
    """`make(schema_path)` makes a database; `drop_all()` drops all it made."""
    created: list[tuple[dict[str, str], str]] = []

    def make(schema_path: Path | None = None, server=None) -> dict[str, str]:
        server = server or default_server
        name = f"test_{secrets.token_hex(6)}"
        found = database.create_database(server, name)
        created.append((server, name))  # from now on it is ours to drop
        if schema_path is not None:
            database.load_schema(found, Path(schema_path).read_text(encoding="utf-8"))
        return found

    def drop_all() -> None:
        for server, name in created:
            database.drop_database(server, name)

    return make, drop_all


@pytest.fixture
def mysql_database(request: pytest.FixtureRequest, mysql_server):
    """`settings = mysql_database(schema_path)`: a fresh database `test_<hex>`
    with the schema loaded (None: empty), dropped after the test."""
    server = mysql_server
    if "mysql_control" in request.fixturenames:  # this test will stop its server
        server = request.getfixturevalue("mysql_stoppable_server").settings
    make, drop_all = database_maker(server)
    yield make
    drop_all()


@pytest.fixture(scope="module")
def mysql_module_database(mysql_server):
    """`settings = mysql_module_database(schema_path)`: like `mysql_database`, for
    what all tests of a module share (a server process, a chain), dropped after
    the module's last test. `server=mysql_stoppable_server.settings` puts it on
    the server that `mysql_control` stops, for a module that stops it itself."""
    make, drop_all = database_maker(mysql_server)
    yield make
    drop_all()


@pytest.fixture
def mysql_control(mysql_stoppable_server: ThrowawayServer):
    """A throwaway server to `.stop()` and `.start()`; restarted after the test."""
    yield mysql_stoppable_server
    mysql_stoppable_server.start()


@pytest.fixture(scope="session")
def mysql_connect():
    """`with mysql_connect(settings) as connection:` to read the database."""
    return database.connect


@pytest.fixture(scope="session")
def free_port():
    """`port = free_port()`: a port on 127.0.0.1 that nothing listens on."""
    return processes.free_port


@pytest.fixture(scope="session")
def run_server():
    """`with run_server(command, port, cwd=..., env=...) as process:` (the
    server dies with pytest, even a killed one; its output shows if it fails)."""
    return processes.running


class QuietFileHandler(SimpleHTTPRequestHandler):
    """Serves a folder's files without printing a line per request."""

    def log_message(self, format, *args):
        pass


@pytest.fixture
def serve_in_thread():
    """`url = serve_in_thread(server)`: run an HTTP server object (already
    bound to 127.0.0.1, port 0) in a thread until the test ends."""
    servers = []

    def start(server) -> str:
        # It looks for shutdown() every poll_interval (0.5 s by default): a
        # test that stops it need not wait that long.
        serving = partial(server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serving, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve_wsgi(serve_in_thread):
    """`url = serve_wsgi(app)`: a WSGI app over real HTTP on a free loopback
    port (Werkzeug's threaded server, as `flask run` uses), until the test ends."""
    from werkzeug.serving import make_server  # Flask's; only tests that serve

    def start(app) -> str:
        return serve_in_thread(make_server("127.0.0.1", 0, app, threaded=True))

    return start


@pytest.fixture
def serve_folder(serve_in_thread):
    """`url = serve_folder(folder)`: a folder's files over HTTP on a free
    loopback port (a page's own origin, for the browser), until the test ends."""

    def start(folder: Path) -> str:
        handler = partial(QuietFileHandler, directory=str(folder))
        return serve_in_thread(ThreadingHTTPServer(("127.0.0.1", 0), handler))

    return start


@pytest.fixture
def dump_dom(tmp_path: Path):
    """`html = dump_dom(url)`: the DOM in headless Chromium after scripts ran."""
    chromium = require_part("chromium")
    profiles = itertools.count()

    def load(url: str, budget_ms: int = 5000) -> str:
        # A fresh browser profile for each page.
        profile = tmp_path / f"chromium-profile-{next(profiles)}"
        return browser.dump_dom(chromium, url, profile, budget_ms)

    return load


@pytest.fixture(scope="session")
def production_chain():
    """`with production_chain(step_dir, settings) as chain:` nginx (chain.url)
    in front of gunicorn (chain.app_url); logs deleted unless keep_logs=True."""
    require_part("nginx")
    return partial(production.production_chain, keep_logs=False)
