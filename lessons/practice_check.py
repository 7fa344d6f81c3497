"""The pytest side of `lessons practice check`: fixtures, and kind reports.

`lessons practice check` runs an exercise's check file (NN_step/exercises/
check_*.py) in a pytest process of its own with this plugin (`-p
lessons.practice_check`). The plugin gives the checks their fixtures (the
learner's workspace, its app, a fresh database, a WSGI caller, a server for
Chromium) and writes what happened to a JSON report, which lessons/practice.py
prints in plain words: each expectation (a check's docstring), and for each
one not met what was sent and what came back, never the course's traceback.
"""

import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

RESULTS: dict[str, dict] = {}  # test id -> what happened


def pytest_addoption(parser: pytest.Parser) -> None:
    """--practice-report=FILE: where to write what the check found."""
    parser.addoption("--practice-report", default=None)


# --- fixtures for the checks -------------------------------------------------


@pytest.fixture(scope="session")
def workspace() -> Path:
    """The learner's workspace folder; its modules import first (like flask run)."""
    folder = Path(os.environ["PRACTICE_WORKSPACE"]).resolve()
    sys.path.insert(0, str(folder))
    return folder


@pytest.fixture
def learner(workspace):
    """Import a module of the learner's workspace by name: learner("app")."""
    return importlib.import_module


@pytest.fixture
def database(workspace, mysql_database) -> dict[str, str]:
    """The MYSQL_* settings of a fresh database with the workspace's schema.sql."""
    return mysql_database(workspace / "schema.sql")


@pytest.fixture
def app(learner, database):
    """The workspace's app from its factory, on this check's own database."""
    return learner("app").create_app({"TESTING": True, **database})


@pytest.fixture
def module_client(learner):
    """Flask's test client on the workspace's module-level `app` (step 02)."""
    app = learner("app").app
    app.testing = True  # an error in a view reaches the check, not a 500 page
    return app.test_client()


@pytest.fixture
def client(app):
    """Flask's test client for the workspace's app."""
    return app.test_client()


@pytest.fixture
def query(database):
    """Run SQL on the check's database directly, not through the app: the truth."""
    import mysql.connector

    def run(sql, params=()):
        connection = mysql.connector.connect(
            host=database["MYSQL_HOST"],
            port=int(database["MYSQL_PORT"]),
            user=database["MYSQL_USER"],
            password=database["MYSQL_PASSWORD"],
            database=database["MYSQL_DATABASE"],
        )
        try:
            with connection.cursor(dictionary=True) as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.with_rows else []
            connection.commit()
        finally:
            connection.close()
        return rows

    return run


class WSGIAnswer:
    """What a WSGI app answered: status, headers, body, and what it logged."""

    def __init__(self, request, status, headers, body, log):
        self.request, self.status, self.body, self.log = request, status, body, log
        self.headers = dict(headers)

    def __str__(self) -> str:
        lines = [f"sent:  {self.request}", f"got:   {self.status}"]
        lines += [f"       {name}: {value}" for name, value in self.headers.items()]
        lines.append(f"       body: {self.body[:300]!r}")
        return "\n".join(lines)


def call_wsgi(app, method="GET", path="/", query="", body=b"", headers=None):
    """Call a WSGI app once, as a server would, under wsgiref's PEP 3333 validator.

    The validator stops at anything a server may not accept (a header that is
    not a str, a body that is not bytes...), with a message saying which rule.
    """
    import io

    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
    }
    errors = environ["wsgi.errors"] = io.StringIO()  # the validator wraps it
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key.startswith("CONTENT_") else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers
        return lambda data: None

    iterable = validator(app)(environ, start_response)
    try:
        answer = b"".join(iterable)
    finally:
        iterable.close()
    request = f"{method} {path}{'?' + query if query else ''}"
    if body:
        request += f" with body {body!r}"
    log = errors.getvalue()
    return WSGIAnswer(request, seen["status"], seen["headers"], answer, log)


def shown(response) -> str:
    """A Flask test response as 'sent: ... / got: ...' lines, for a check's message."""
    request = response.request
    query = request.query_string.decode()
    lines = [f"sent:  {request.method} {request.path}{'?' + query if query else ''}"]
    sent_body = request.get_data(as_text=True)
    if sent_body:
        lines.append(f"       body: {sent_body[:300]}")
    lines.append(f"got:   {response.status}")
    for name in ("Content-Type", "Location", "Link", "Access-Control-Allow-Origin"):
        if name in response.headers:
            lines.append(f"       {name}: {response.headers[name]}")
    text = " ".join(response.get_data(as_text=True).split())  # on one line
    lines.append(f"       body: {text[:300] if text else '(empty)'}")
    return "\n".join(lines)


# --- the report --------------------------------------------------------------


def in_workspace(filename: str) -> bool:
    """True for a file of the learner's workspace (theirs to see and to fix)."""
    folder = os.environ.get("PRACTICE_WORKSPACE", "")
    return bool(folder) and str(Path(filename).resolve()).startswith(
        str(Path(folder).resolve())
    )


def where_in_workspace(error: BaseException) -> str:
    """'practice/x/app.py line 12: the line', the learner's last line that ran."""
    if isinstance(error, SyntaxError) and error.filename:
        place = os.path.relpath(error.filename)
        return f"{place} line {error.lineno}: {(error.text or '').strip()}"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if in_workspace(frame.filename)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f"{os.path.relpath(frame.filename)} line {frame.lineno}: {frame.line}"


def explain(error: BaseException) -> str:
    """The detail lines for an expectation that was not met."""
    where = where_in_workspace(error)
    if isinstance(error, NotImplementedError):
        return f"not written yet: {error}\n  at {where}"
    if isinstance(error, AssertionError):
        # `assert x, message`: pytest adds its own explanation after the message.
        message = str(error).split("\nassert ")[0].strip()
        # ...and indents the message's own lines after the first by two spaces.
        lines = message.splitlines() or ["the answer was not the expected one"]
        return "\n".join([lines[0], *(line.removeprefix("  ") for line in lines[1:])])
    if not where:  # raised outside the learner's files: say what, not where
        return f"the check met {type(error).__name__}: {error}"
    return f"your code raised {type(error).__name__}: {error}\n  at {where}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each check's outcome, with its expectation (the test's docstring)."""
    report = yield
    if report.when == "call" or report.failed or report.skipped:
        detail = ""
        if report.skipped:
            detail = f"could not check: {report.longrepr[2]}"
        elif report.failed and call.excinfo is not None:
            detail = explain(call.excinfo.value)
        expectation = " ".join((item.obj.__doc__ or item.name).split())
        if hasattr(item, "callspec"):  # a parametrized check: say which case
            cases = ", ".join(str(value) for value in item.callspec.params.values())
            expectation += f" [{cases}]"
        # One line per check: the first thing that went wrong (setup or call).
        RESULTS.setdefault(
            item.nodeid,
            {
                "check": str(item.path),  # its file: one run may hold several
                "expectation": expectation,
                "outcome": report.outcome,
                "detail": detail,
            },
        )
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the results where `lessons practice` reads them."""
    report = session.config.getoption("--practice-report")
    if report and RESULTS:
        Path(report).write_text(
            json.dumps({"results": list(RESULTS.values())}), encoding="utf-8"
        )
