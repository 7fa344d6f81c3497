"""The throwaway database (throwaway.py, db_commands.py, the fixtures), for real.

Every test here starts or uses a real MariaDB/MySQL server; nothing is mocked.
The only thing these tests fake is a machine *without* the server programs (an
empty PATH), to read the message a learner would get there.
"""

import contextlib
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import mysql.connector
import pytest

from lessons import database, db_commands, processes, system, throwaway
from lessons.processes import port_in_use
from lessons.pytest_plugin import require_part
from lessons.settings import NAMES as SETTING_NAMES
from lessons.settings import configured

# A tiny schema for the tests that need a table.
NOTES_SCHEMA = """
CREATE TABLE notes (
    id INT AUTO_INCREMENT PRIMARY KEY,
    text VARCHAR(200) NOT NULL
);
"""


@pytest.fixture(autouse=True)
def no_configured_server(monkeypatch):
    """Hide any MYSQL_* settings of the person running the tests.

    These tests are about the throwaway server; a MYSQL_HOST in the environment
    would make the tooling use that server instead.
    """
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One throwaway server for the tests that only need a running one."""
    require_part("mariadb")
    started = throwaway.ThrowawayServer(tmp_path_factory.mktemp("throwaway"))
    with started:
        yield started


@pytest.fixture
def fresh_server(tmp_path):
    """A throwaway server of this test's own, for the stop and restart tests."""
    require_part("mariadb")
    started = throwaway.ThrowawayServer(tmp_path / "server")
    started.start()
    yield started
    started.stop()


def query(settings, sql, parameters=()):
    """Run one statement with the app's settings; return its rows."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.with_rows else []
        connection.commit()
        return rows


def test_the_throwaway_server_answers_on_loopback_as_the_app_user(server):
    settings = server.settings
    assert settings["MYSQL_HOST"] == "127.0.0.1"
    assert settings["MYSQL_USER"] == throwaway.APP_USER
    assert settings["MYSQL_DATABASE"] == "bookshop"
    [(user, database)] = query(settings, "SELECT CURRENT_USER(), DATABASE()")
    assert user == f"{throwaway.APP_USER}@127.0.0.1"
    assert database == "bookshop"


def test_root_cannot_log_in_over_tcp_without_a_password(server):
    root = {**server.settings, "MYSQL_USER": "root", "MYSQL_PASSWORD": ""}
    with pytest.raises(mysql.connector.Error, match=r"Access denied|not allowed"):
        query(root, "SELECT 1")


def test_the_server_folder_and_socket_are_private(server):
    assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.socket_path.stat().st_mode) == 0o600


def test_the_database_is_created_in_utf8mb4(server):
    rows = query(
        server.settings,
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
        " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        ("bookshop",),
    )
    assert rows == [("utf8mb4", "utf8mb4_unicode_ci")]


@pytest.mark.parametrize(
    "text",
    ["📚 books", "漢字とかな", "Ünïcödé façade", "𝄞 music", "mixed 中文 and emoji 🎉"],
)
def test_emoji_and_cjk_text_round_trip_through_a_table(mysql_database, text):
    settings = mysql_database(None)
    query(settings, "CREATE TABLE notes (text VARCHAR(100))")
    query(settings, "INSERT INTO notes (text) VALUES (%s)", (text,))
    assert query(settings, "SELECT text FROM notes") == [(text,)]


def test_the_app_user_can_create_and_drop_tables(server):
    settings = server.settings
    query(settings, "CREATE TABLE shelf (id INT PRIMARY KEY)")
    assert query(settings, "SHOW TABLES LIKE 'shelf'") == [("shelf",)]
    query(settings, "DROP TABLE shelf")
    assert query(settings, "SHOW TABLES LIKE 'shelf'") == []


def test_stop_leaves_no_process_and_closes_the_port(fresh_server):
    pid, port = fresh_server.pid, fresh_server.port
    assert processes.alive(pid)
    fresh_server.stop()
    assert not processes.alive(pid)
    assert not port_in_use(port)
    fresh_server.stop()  # stopping twice is harmless


def test_a_restart_uses_the_same_port_and_keeps_the_data(fresh_server):
    settings = fresh_server.settings
    query(settings, "CREATE TABLE kept (word VARCHAR(20))")
    query(settings, "INSERT INTO kept VALUES ('still here')")
    fresh_server.stop()
    with pytest.raises(mysql.connector.Error):
        query(settings, "SELECT 1")
    assert fresh_server.start() == settings
    assert query(settings, "SELECT word FROM kept") == [("still here",)]


def test_the_context_manager_stops_the_server_when_the_block_fails(tmp_path):
    require_part("mariadb")
    server = throwaway.ThrowawayServer(tmp_path)
    with pytest.raises(RuntimeError, match="the test failed"), server as settings:
        pid, port = server.pid, int(settings["MYSQL_PORT"])
        raise RuntimeError("the test failed")
    assert not processes.alive(pid)
    assert not port_in_use(port)


# Starts a throwaway server in the folder given, and waits to be killed.
START_AND_WAIT = """\
import sys, time
from lessons.throwaway import ThrowawayServer
ThrowawayServer(sys.argv[1]).start()
time.sleep(120)
"""


def test_a_server_dies_with_its_owner_even_while_it_starts(tmp_path):
    require_part("mariadb")
    notes = tmp_path / "started"  # where the owner notes what it starts
    environment = {**os.environ, "LESSONS_STARTED": str(notes)}
    command = [sys.executable, "-c", START_AND_WAIT, str(tmp_path / "server")]
    owner = subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)
    try:
        # The owner dies 50 ms after mariadbd starts: in its first moments,
        # when mariadbd loses a SIGTERM (4 times in 4 before the fix).
        deadline = time.monotonic() + 60
        while not list(notes.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.05)
    finally:
        owner.kill()  # SIGKILL: no cleanup code of ours runs
        owner.wait()
    [note] = notes.glob("*.json")
    server_pid = int(note.stem)
    deadline = time.monotonic() + 15
    while processes.alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    outlived = processes.alive(server_pid)
    if outlived:
        os.kill(server_pid, signal.SIGKILL)  # never leave it behind
    assert not outlived, "mariadbd outlived its owner"


def test_a_second_server_on_the_same_data_folder_is_refused(server):
    second = throwaway.ThrowawayServer(server.data_dir)
    with pytest.raises(throwaway.DatabaseUnavailable, match="already uses"):
        second.start()
    assert query(server.settings, "SELECT 1") == [(1,)]  # the first one is fine


@pytest.mark.parametrize(
    ("environment", "dotenv", "expected"),
    [
        ({}, None, None),
        ({}, "MYSQL_USER=ada\n", None),  # no host: the tooling starts its own
        (
            {},
            "MYSQL_HOST=db.local\nMYSQL_PASSWORD=secret\n",
            {
                "MYSQL_HOST": "db.local",
                "MYSQL_PORT": "3306",
                "MYSQL_USER": "root",
                "MYSQL_PASSWORD": "secret",
                "MYSQL_DATABASE": "bookshop",
            },
        ),
        (
            {"MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": "3307"},
            None,
            {
                "MYSQL_HOST": "127.0.0.1",
                "MYSQL_PORT": "3307",
                "MYSQL_USER": "root",
                "MYSQL_PASSWORD": "",
                "MYSQL_DATABASE": "bookshop",
            },
        ),
        (
            {"MYSQL_HOST": "from-env", "MYSQL_DATABASE": "shop"},
            "MYSQL_HOST=from-file\nMYSQL_DATABASE=other\nMYSQL_USER=ada\n",
            {
                "MYSQL_HOST": "from-env",
                "MYSQL_PORT": "3306",
                "MYSQL_USER": "ada",
                "MYSQL_PASSWORD": "",
                "MYSQL_DATABASE": "shop",
            },
        ),
    ],
    ids=["nothing", "no-host", "dotenv-only", "environment-only", "environment-wins"],
)
def test_settings_come_from_the_environment_before_the_dotenv_file(
    tmp_path, monkeypatch, environment, dotenv, expected
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    assert configured(tmp_path) == expected


@pytest.fixture
def machine_without_a_server(monkeypatch):
    """Make the server programs impossible to find, as on a fresh machine."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(system, "EXTRA_FOLDERS", ())


def test_missing_server_programs_are_named_with_their_install_command(
    tmp_path, machine_without_a_server
):
    with pytest.raises(throwaway.DatabaseUnavailable) as problem:
        throwaway.ThrowawayServer(tmp_path).start()
    assert system.install_hint("mariadb") in str(problem.value)
    assert not (tmp_path / "data").exists()  # nothing was half-made


def loses_a_sigterm(pid: int) -> bool:
    """True once a starting mariadbd would lose a SIGTERM (until it is ready):
    it blocks the signal, to wait for it in a thread of its own, and has started
    a second thread. Before that moment, a SIGTERM still stops it."""
    status = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    blocked = int(status["SigBlk"], 16) >> (signal.SIGTERM - 1) & 1
    return bool(blocked) and int(status["Threads"]) > 1


def test_a_ctrl_c_while_the_server_starts_stops_it_at_once(tmp_path, monkeypatch):
    # Until it is ready, mariadbd never acts on a SIGTERM: a server stopped
    # then with SIGTERM ran on until the SIGKILL 30 s later.
    require_part("mariadb")
    server = throwaway.ThrowawayServer(tmp_path)
    started, interrupted = [], []

    def interrupted_while_starting() -> None:
        started.append(server.process)
        deadline = time.monotonic() + 10
        while not loses_a_sigterm(server.pid) and time.monotonic() < deadline:
            time.sleep(0.001)
        interrupted.append(time.monotonic())
        raise KeyboardInterrupt  # what Ctrl-C does

    sent = []
    send = os.killpg

    def killpg_noting_the_signal(group: int, number: int) -> None:
        sent.append(number)
        send(group, number)

    monkeypatch.setattr(server, "wait_until_ready", interrupted_while_starting)
    monkeypatch.setattr(os, "killpg", killpg_noting_the_signal)
    with pytest.raises(KeyboardInterrupt):
        server.start()
    # A bound on a hang, not a speed target: SIGTERM's patience is 30 s.
    assert time.monotonic() - interrupted[0] < 20
    assert sent == [signal.SIGKILL]  # straight away, no SIGTERM to lose
    [process] = started
    assert not processes.alive(process.pid)
    assert throwaway.ThrowawayServer.attach(tmp_path) is None  # not noted as running


def test_db_start_without_the_programs_says_one_line_and_fails(
    tmp_path, capsys, machine_without_a_server
):
    assert db_commands.db_start(tmp_path) != 0
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1
    assert system.install_hint("mariadb") in errors[0]


def environment_without_mysql_settings() -> dict[str, str]:
    """This process's environment minus MYSQL_*: a child then starts its own server."""
    return {
        name: value for name, value in os.environ.items() if name not in SETTING_NAMES
    }


def lessons_db(action, root, exported_settings=None):
    """Run `lessons db ACTION` for a repository at `root`, as its own process.

    It must be another process: `db start` leaves a server running after the
    command has exited, and that is exactly what we want to see.
    `exported_settings` are MYSQL_* values in its environment, as after `eval`.
    """
    program = (
        "import sys; from pathlib import Path; from lessons import db_commands; "
        "sys.exit(getattr(db_commands, 'db_' + sys.argv[1])(Path(sys.argv[2])))"
    )
    environment = environment_without_mysql_settings()
    environment.update(exported_settings or {})
    command = [sys.executable, "-c", program, action, str(root)]
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=120
    )


def exported(env_output):
    """Read `export NAME=value` lines the way a shell's eval would."""
    settings = {}
    for line in env_output.splitlines():
        keyword, assignment = shlex.split(line)
        assert keyword == "export"
        name, value = assignment.split("=", 1)
        settings[name] = value
    return settings


def test_db_start_status_env_stop_round_trip(tmp_path, capsys, monkeypatch):
    require_part("mariadb")

    def lessons_db_here(action):
        """`lessons db ACTION` in this process: (exit code, stdout)."""
        code = getattr(db_commands, f"db_{action}")(tmp_path)
        return code, capsys.readouterr().out

    try:
        code, said = lessons_db_here("status")
        assert code != 0
        assert "not running" in said

        # A command of its own, which ends: the server must outlive it.
        started = lessons_db("start", tmp_path)
        assert started.returncode == 0, started.stderr
        assert 'eval "$(lessons db env)"' in started.stdout
        server = throwaway.ThrowawayServer.attach(tmp_path / ".lessons" / "mysql")
        assert server is not None, "the server did not outlive `lessons db start`"

        code, said = lessons_db_here("start")
        assert code == 0
        assert "already running" in said
        code, said = lessons_db_here("status")
        assert code == 0
        assert f"127.0.0.1:{server.port}" in said

        code, said = lessons_db_here("env")
        assert code == 0
        settings = exported(said)
        assert sorted(settings) == sorted(SETTING_NAMES)
        assert query(settings, "SELECT DATABASE()") == [("bookshop",)]

        # After `eval "$(lessons db env)"`, MYSQL_HOST names our own server:
        # status and stop must still manage it, not call it someone else's.
        with monkeypatch.context() as after_eval:
            for name, value in settings.items():
                after_eval.setenv(name, value)
            assert lessons_db_here("status")[0] == 0
            code, said = lessons_db_here("stop")
            assert code == 0
            assert "Stopped" in said
        assert not processes.alive(server.pid)
        assert not port_in_use(server.port)
        assert lessons_db_here("status")[0] != 0
        assert lessons_db_here("env") == (1, "")  # nothing for eval to run

        # A new start keeps the port, so settings exported earlier still work.
        assert lessons_db("start", tmp_path).returncode == 0
        assert query(settings, "SELECT DATABASE()") == [("bookshop",)]
    finally:
        lessons_db_here("stop")
        leftover = throwaway.ThrowawayServer.attach(tmp_path / ".lessons" / "mysql")
        if leftover is not None:
            leftover.stop()
    assert "not running" in lessons_db_here("stop")[1]


@pytest.mark.parametrize("action", ["start", "stop", "env"])
def test_db_commands_use_a_configured_server_and_start_nothing(
    tmp_path, capsys, action
):
    dotenv = "MYSQL_HOST=127.0.0.1\nMYSQL_PORT=3399\nMYSQL_PASSWORD=p w\n"
    (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    command = getattr(db_commands, f"db_{action}")
    assert command(tmp_path) == 0
    output = capsys.readouterr()
    assert "MYSQL_HOST is set" in output.err
    assert not (tmp_path / ".lessons").exists()
    if action == "env":
        assert exported(output.out)["MYSQL_PORT"] == "3399"
        assert exported(output.out)["MYSQL_PASSWORD"] == "p w"


@pytest.mark.parametrize("fails", [False, True], ids=["normal-end", "error"])
def test_a_run_database_is_stopped_and_deleted_when_the_run_ends(tmp_path, fails):
    require_part("mariadb")
    runs = tmp_path / ".lessons" / "run-mysql"
    expected = pytest.raises(KeyboardInterrupt) if fails else contextlib.nullcontext()
    with expected, db_commands.database_for_run(tmp_path) as settings:
        assert query(settings, "SELECT DATABASE()") == [("bookshop",)]
        [run_folder] = runs.iterdir()
        state = json.loads((run_folder / "server.json").read_text())
        if fails:
            raise KeyboardInterrupt  # what Ctrl-C does
    assert not processes.alive(state["pid"])
    assert not port_in_use(state["port"])
    assert list(runs.iterdir()) == []


def test_a_run_uses_your_server_only_when_asked_and_creates_its_database(
    server, tmp_path, monkeypatch
):
    settings = {**server.settings, "MYSQL_DATABASE": "run_database"}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    try:
        with db_commands.database_for_run(tmp_path, your_server=True) as used:
            assert used == settings
            assert query(used, "SELECT DATABASE()") == [("run_database",)]
        assert not (tmp_path / ".lessons").exists()  # nothing was started
    finally:
        database.drop_database(server.settings, "run_database")


def test_your_books_survive_make_run_with_your_server_configured(server, monkeypatch):
    # A learner's own server (here a throwaway one standing in for it), set in
    # MYSQL_* as a .env from step 04 sets them, with a books table of their own.
    learner = {**server.settings, "MYSQL_DATABASE": "learners_books"}
    database.ensure_database(learner)
    query(learner, "CREATE TABLE books (id INT PRIMARY KEY, title TEXT)")
    query(learner, "INSERT INTO books VALUES (1, 'My own book')")
    for name, value in learner.items():
        monkeypatch.setenv(name, value)
    port = processes.free_port()
    command = [sys.executable, "-m", "lessons", "run", "04", "--port", str(port)]
    run = processes.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        processes.wait_for_port(port, run, timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/books") as reply:
            assert len(json.loads(reply.read())) == 47  # the run's own books
    finally:
        os.kill(run.pid, signal.SIGINT)  # Ctrl-C
        output = run.communicate(timeout=60)[0].decode()
    try:
        assert "leaves your server alone" in output
        assert query(learner, "SELECT id, title FROM books") == [(1, "My own book")]
    finally:
        database.drop_database(server.settings, "learners_books")


def test_your_database_without_mysql_host_is_one_clear_line(tmp_path):
    refused = pytest.raises(throwaway.DatabaseUnavailable, match="needs MYSQL_HOST")
    with refused, db_commands.database_for_run(tmp_path, your_server=True):
        pass


@pytest.mark.parametrize(
    "statement",
    ["USE mysql;", "DROP DATABASE bookshop;", "create schema other;"],
)
def test_a_schema_may_not_switch_create_or_drop_databases(server, statement):
    with pytest.raises(ValueError, match="must not choose, create or drop"):
        database.load_schema(server.settings, f"{NOTES_SCHEMA}\n{statement}\n")
    assert database.database_exists(server.settings, "bookshop")
    assert query(server.settings, "SHOW TABLES LIKE 'notes'") == []


def test_an_error_in_a_later_schema_statement_is_reported(mysql_database):
    settings = mysql_database(None)
    broken = NOTES_SCHEMA + "CREATE TABLE notes (id INT);\n"  # a duplicate table
    with pytest.raises(mysql.connector.ProgrammingError, match="already exists"):
        database.load_schema(settings, broken)


def test_two_test_databases_are_isolated(mysql_database, tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(NOTES_SCHEMA, encoding="utf-8")
    first, second = mysql_database(schema), mysql_database(schema)
    assert first["MYSQL_DATABASE"] != second["MYSQL_DATABASE"]
    assert first["MYSQL_DATABASE"].startswith("test_")
    query(first, "INSERT INTO notes (text) VALUES ('only in the first')")
    assert query(first, "SELECT text FROM notes") == [("only in the first",)]
    assert query(second, "SELECT text FROM notes") == []


def test_mysql_control_stops_and_restarts_the_session_server(
    mysql_control, mysql_database
):
    settings = mysql_database(None)
    query(settings, "CREATE TABLE kept (id INT)")
    mysql_control.stop()
    assert database.server_problem(settings) is not None
    mysql_control.start()
    assert query(settings, "SHOW TABLES") == [("kept",)]


def test_the_fixtures_drop_their_databases_and_leave_others_alone(server, tmp_path):
    """A test session of its own, pointed at `server` through MYSQL_HOST."""
    record = tmp_path / "made.json"
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            import json
            from pathlib import Path


            def test_make_two(mysql_database):
                made = [mysql_database(None)["MYSQL_DATABASE"] for _ in range(2)]
                Path({str(record)!r}).write_text(json.dumps(made))


            def test_control_is_not_offered(mysql_control):
                pass
            """
        ),
        encoding="utf-8",
    )
    environment = {**os.environ, **server.settings}
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "test_inner.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
    assert "unset MYSQL_HOST" in result.stdout  # the skip says why
    for name in json.loads(record.read_text()):
        assert not database.database_exists(server.settings, name)
    assert database.database_exists(server.settings, "bookshop")


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_run_database_is_stopped_when_the_run_is_interrupted(tmp_path, signal_number):
    """Ctrl-C (SIGINT) or a closed terminal / `kill` (SIGTERM) stop the server too."""
    require_part("mariadb")
    program = (
        "import sys, time; from pathlib import Path\n"
        "from lessons.db_commands import database_for_run\n"
        "from lessons.processes import interrupt_on_termination\n"
        "with interrupt_on_termination(), database_for_run(Path(sys.argv[1])) as s:\n"
        "    print('ready', s['MYSQL_PORT'], flush=True)\n"
        "    time.sleep(120)\n"
    )
    environment = environment_without_mysql_settings()
    run = subprocess.Popen(
        [sys.executable, "-c", program, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        lines = iter(run.stdout)
        ready = next(line for line in lines if line.startswith("ready"))
        port = int(ready.split()[1])
        [run_folder] = (tmp_path / ".lessons" / "run-mysql").iterdir()
        pid = json.loads((run_folder / "server.json").read_text())["pid"]
        run.send_signal(signal_number)
        assert run.wait(timeout=60) != 0
        assert "Stopping the throwaway database server" in run.stdout.read()
    finally:
        run.kill()
        run.wait()
        run.stdout.close()
    assert not processes.alive(pid)
    assert not port_in_use(port)
    assert not run_folder.exists()
