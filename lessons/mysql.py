"""The throwaway database: a private MariaDB/MySQL server for `lessons` and the tests.

Steps 04 and 05 need a real MySQL server. When MYSQL_HOST is set (in the
environment or in a `.env` file) that server is used and nothing is started.
Otherwise this module starts a private server from the MariaDB/MySQL programs on
this machine: its own data folder, loopback only, a free port, utf8mb4, a random
password, no system service, and it is stopped again when it is no longer needed.

Three kinds of callers use it:

- `lessons db start|stop|status|env|shell`: one server that stays up between
  commands, with its data in `.lessons/mysql/` (the `db_*` functions below);
- `lessons run 04`: a fresh server for one run (`database_for_run`);
- the pytest plugin: one server per test session (`ThrowawayServer`).
"""

import atexit
import contextlib
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mysql.connector
from dotenv import dotenv_values

from lessons import processes, system
from lessons.errors import LessonsError

# The settings a step reads to find its database (see DESIGN.md, "Database").
SETTING_NAMES = (
    "MYSQL_HOST",
    "MYSQL_PORT",
    "MYSQL_USER",
    "MYSQL_PASSWORD",
    "MYSQL_DATABASE",
)
# What a setting means when MYSQL_HOST is set but the setting itself is not.
DEFAULTS = {
    "MYSQL_PORT": "3306",
    "MYSQL_USER": "root",
    "MYSQL_PASSWORD": "",
    "MYSQL_DATABASE": "bookshop",
}

APP_USER = "lessons"  # the account the steps connect as (never root)
START_TIMEOUT = 60.0  # seconds a server may take to answer its first connection
STOP_TIMEOUT = 30.0  # seconds a clean shutdown may take before SIGKILL

# A database name is an SQL identifier, and identifiers cannot be sent as query
# parameters. So we only ever put names that match this strict pattern into SQL.
DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")

# A schema file creates tables in the database it is given. Statements that pick,
# create or drop a *database* could reach someone's real data, so they are refused.
DATABASE_STATEMENT = re.compile(
    r"^\s*(USE|(CREATE|DROP|ALTER)\s+(DATABASE|SCHEMA))\b", re.IGNORECASE | re.MULTILINE
)

# Server options for a small, fast, private server. Every option is explained,
# because a learner who looks here should not find magic numbers.
SERVER_OPTIONS = (
    "--bind-address=127.0.0.1",  # loopback only: nobody else on the network
    "--skip-networking=0",  # ...but do listen on TCP (the steps connect over TCP)
    "--skip-name-resolve",  # no DNS look-ups for client addresses: faster
    "--character-set-server=utf8mb4",  # the full Unicode range, emoji included
    "--collation-server=utf8mb4_unicode_ci",
    "--skip-log-bin",  # no binary log: there is no replica to feed
    "--performance-schema=OFF",  # saves memory we do not need
    "--innodb-buffer-pool-size=16M",  # a few MB of cache is plenty for lessons
    "--loose-innodb-log-file-size=8M",  # a small redo log is quicker to create
    # Flush the redo log about once a second instead of at every commit: much
    # faster, and losing the last second after a power cut is fine for lessons.
    "--innodb-flush-log-at-trx-commit=2",
    # MySQL 8 also listens on port 33060 for its X protocol; two servers would
    # fight over it. `loose-` makes MariaDB ignore this option it does not know.
    "--loose-mysqlx=OFF",
)


class DatabaseUnavailable(LessonsError):
    """No database server can be used; the message says why and what to do."""


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def settings_from_environment(root: Path) -> dict[str, str] | None:
    """The MYSQL_* settings from the environment or `root/.env`; None without a host.

    A variable in the environment wins over the same one in `.env`, which is what
    python-dotenv's `load_dotenv()` does in the steps too, so the app and the
    tooling always agree on which server they mean. None means "MYSQL_HOST is not
    set": the tooling then starts its own throwaway server.
    """
    env_file = Path(root) / ".env"
    from_file = dotenv_values(env_file) if env_file.is_file() else {}
    settings = {}
    for name in SETTING_NAMES:
        # from_file gives None for a bare `NAME` line without `=`.
        value = os.environ[name] if name in os.environ else from_file.get(name)
        settings[name] = value if value is not None else DEFAULTS.get(name, "")
    if not settings["MYSQL_HOST"]:
        return None
    return settings


def configured_in(root: Path) -> str:
    """Where MYSQL_HOST was set, for messages: "the environment" or the .env path."""
    if os.environ.get("MYSQL_HOST"):
        return "the environment"
    return str(Path(root) / ".env")


def describe(settings: dict[str, str]) -> str:
    """A short address like `lessons@127.0.0.1:3306/bookshop` (no password)."""
    return (
        f"{settings['MYSQL_USER']}@{settings['MYSQL_HOST']}:"
        f"{settings['MYSQL_PORT']}/{settings['MYSQL_DATABASE']}"
    )


# --------------------------------------------------------------------------
# Talking to a server
# --------------------------------------------------------------------------


def connect(
    settings: dict[str, str], use_database: bool = True, timeout: int = 5
) -> mysql.connector.MySQLConnection:
    """Open a connection with these settings (close it: use it in a `with`)."""
    options = {
        "host": settings["MYSQL_HOST"],
        "port": int(settings["MYSQL_PORT"]),
        "user": settings["MYSQL_USER"],
        "password": settings["MYSQL_PASSWORD"],
        "connection_timeout": timeout,
        # Say which character set this connection speaks, so an emoji arrives
        # as an emoji whatever the server's own default is.
        "charset": "utf8mb4",
        "collation": "utf8mb4_unicode_ci",
    }
    if use_database:
        options["database"] = settings["MYSQL_DATABASE"]
    return mysql.connector.connect(**options)


def server_problem(settings: dict[str, str]) -> str | None:
    """None when the server in `settings` answers; otherwise what went wrong."""
    try:
        with connect(settings, use_database=False) as connection:
            connection.ping()
    except mysql.connector.Error as error:
        return str(error)
    return None


def check_database_name(name: str) -> None:
    """Refuse a database name that is not a plain identifier (see DATABASE_NAME)."""
    if not DATABASE_NAME.match(name):
        raise ValueError(
            f"database name {name!r} must be 1-64 letters, digits or underscores"
        )


def database_exists(settings: dict[str, str], name: str) -> bool:
    """True when the server has a database called `name` that we may see."""
    check_database_name(name)
    with (
        connect(settings, use_database=False) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
            " WHERE SCHEMA_NAME = %s",
            (name,),
        )
        return cursor.fetchone() is not None


def create_database(settings: dict[str, str], name: str) -> dict[str, str]:
    """Create a new, empty utf8mb4 database; return the settings that point at it.

    Fails when the database already exists: whoever creates a database may drop
    it later, so we must never "create" one that was someone else's.
    """
    check_database_name(name)
    with (
        connect(settings, use_database=False) as connection,
        connection.cursor() as cursor,
    ):
        # The name was checked against DATABASE_NAME above; identifiers cannot
        # be query parameters, so this is the safe way to put one in SQL.
        cursor.execute(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    return {**settings, "MYSQL_DATABASE": name}


def ensure_database(settings: dict[str, str]) -> dict[str, str]:
    """Make sure the database named in `settings` exists (utf8mb4 when we create it).

    A database that is already there is left exactly as it is.
    """
    if not database_exists(settings, settings["MYSQL_DATABASE"]):
        create_database(settings, settings["MYSQL_DATABASE"])
    return settings


def load_schema(settings: dict[str, str], schema_sql: str) -> None:
    """Run a schema script (statements ending in `;`) in the settings' database.

    mysql-connector-python sends a script of several statements in one go and
    gives back one result per statement; reading them all is what makes an error
    in, say, the third statement raise here instead of passing unnoticed.
    """
    found = DATABASE_STATEMENT.search(schema_sql)
    if found:
        raise ValueError(
            f"a schema must not choose, create or drop databases "
            f"(found {found.group(0).strip()!r}); the tooling picks the database"
        )
    with connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(schema_sql)
        for _statement, _rows in cursor.fetchsets():
            pass
        connection.commit()


def drop_database(settings: dict[str, str], name: str) -> None:
    """Drop the database `name` (callers only drop databases they created)."""
    check_database_name(name)
    with (
        connect(settings, use_database=False) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")  # name checked above


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


def process_alive(pid: int) -> bool:
    """True when a process with this id exists (signal 0 asks; it sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to another user
    return True


def command_line(pid: int) -> str | None:
    """The command line of a running process, or None when we cannot tell."""
    proc_file = Path(f"/proc/{pid}/cmdline")
    if proc_file.exists():  # Linux
        with contextlib.suppress(OSError):
            return proc_file.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    ps = shutil.which("ps")  # macOS and other Unixes
    if ps:
        result = subprocess.run(
            [ps, "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            return result.stdout
    return None


def stop_process_group(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """Stop a server we started but do not wait for (it is not our child).

    SIGTERM asks MariaDB/MySQL for a clean shutdown; SIGKILL is the last resort.
    The server leads its own process group (start_new_session), so we signal
    the group and catch anything it might have started.
    """
    for signal_number, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal_number)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)


# A tiny Python program that starts a command in a new session and exits at once.
# Its child, the server, is then adopted by init (the "double fork" of Unix
# daemons): it outlives the `lessons` command, and nobody has to wait for it.
LAUNCHER = (
    "import subprocess, sys\n"
    "server = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,"
    " stdout=sys.stderr, start_new_session=True)\n"
    "print(server.pid)\n"
)


def launch_detached(command: list[str], log) -> int:
    """Start `command` so that it keeps running after we exit; return its pid."""
    launcher = [sys.executable, "-I", "-W", "ignore::ResourceWarning", "-c", LAUNCHER]
    result = subprocess.run(
        [*launcher, *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        check=True,
    )
    return int(result.stdout)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file ('' when there is none yet)."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------
# The throwaway server
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Programs:
    """The programs that initialise and run a server of one flavour."""

    server: str  # mariadbd or mysqld
    install: str | None  # mariadb-install-db; None for MySQL (mysqld initialises)
    flavour: str  # "MariaDB" or "MySQL"


def find_programs() -> Programs:
    """The MariaDB (preferred) or MySQL 8 programs on this machine.

    Raises DatabaseUnavailable with the install command when they are missing.
    """
    server = system.find("mariadb")
    if server is None:
        raise DatabaseUnavailable(system.missing_message("mariadb"))
    name = Path(server).name
    if name == "mysqld":
        # Older MariaDB releases call their server mysqld too; ask it.
        version = subprocess.run(
            [server, "--version"], capture_output=True, text=True, check=False
        ).stdout
        if "mariadb" not in version.lower():
            return Programs(server=server, install=None, flavour="MySQL")
    # mariadb-install-db lives in bin/ while the server is in sbin/.
    folders = [os.environ.get("PATH", ""), str(Path(server).parent)]
    search_path = os.pathsep.join([*folders, *system.EXTRA_FOLDERS])
    for command in ("mariadb-install-db", "mysql_install_db"):
        install = shutil.which(command, path=search_path)
        if install:
            return Programs(server=server, install=install, flavour="MariaDB")
    raise DatabaseUnavailable(
        f"found {server} but not mariadb-install-db next to it; "
        f"{system.missing_message('mariadb')}"
    )


def user_option() -> list[str]:
    """`--user=root` when we run as root: mariadbd refuses root without it."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["--user=root"]
    return []


class ThrowawayServer:
    """A private MariaDB/MySQL server whose files all live in `data_dir`.

    `start()` initialises the folder the first time, starts the server on
    127.0.0.1 and returns the settings to connect with; `stop()` shuts it down.
    Use it as a context manager to be sure it stops:

        with ThrowawayServer(tmp_path) as settings:
            ...  # settings["MYSQL_PORT"], settings["MYSQL_PASSWORD"], ...

    With `detached=True` the server outlives this Python process
    (`lessons db start`); otherwise it is stopped when the process exits.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        database: str = DEFAULTS["MYSQL_DATABASE"],
        detached: bool = False,
    ) -> None:
        check_database_name(database)
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.database = database
        self.detached = detached
        self.flavour: str | None = None  # "MariaDB" or "MySQL", known at start
        self.pid: int | None = None
        self.process: subprocess.Popen | None = None  # only when not detached

    # The files in data_dir. The server's own files go in a sub-folder, so ours
    # (password, state, log) never mix with what the server manages.
    @property
    def server_data(self) -> Path:
        """The server's data directory (its --datadir)."""
        return self.data_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server's error log: read this when it does not start."""
        return self.data_dir / "server.log"

    @property
    def state_file(self) -> Path:
        """A small JSON file with the pid, port and settings of the server."""
        return self.data_dir / "server.json"

    @property
    def socket_path(self) -> Path:
        """The server's private Unix socket (we connect through it as root)."""
        preferred = self.data_dir / "mysqld.sock"
        # A Unix socket's path must fit in about 100 bytes (108 on Linux, 104
        # on macOS); a deep folder gets a short, stable name in /tmp instead.
        if len(str(preferred)) <= 100:
            return preferred
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"lessons-mysql-{digest}.sock"

    @property
    def password(self) -> str:
        """The application user's password: random, made once, kept in data_dir."""
        password_file = self.data_dir / "password"
        if not password_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            write_private(password_file, secrets.token_hex(16))
        return password_file.read_text(encoding="utf-8").strip()

    @property
    def settings(self) -> dict[str, str]:
        """The MYSQL_* settings that reach this server as the application user."""
        if self.port is None:
            raise DatabaseUnavailable("the server has no port yet: start() it first")
        return {
            "MYSQL_HOST": "127.0.0.1",
            "MYSQL_PORT": str(self.port),
            "MYSQL_USER": APP_USER,
            "MYSQL_PASSWORD": self.password,
            "MYSQL_DATABASE": self.database,
        }

    def read_state(self) -> dict:
        """What server.json says ({} when there is none)."""
        if not self.state_file.exists():
            return {}
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except ValueError:
            return {}  # a half-written file: as good as none

    def write_state(self) -> None:
        """Record pid, port and settings, for `lessons db` commands run later."""
        state = {"pid": self.pid, "port": self.port, "flavour": self.flavour_name()}
        if self.pid is not None:
            state["settings"] = self.settings
        write_private(self.state_file, json.dumps(state, indent=2) + "\n")

    def flavour_name(self) -> str:
        """MariaDB or MySQL, as recorded at start (for messages)."""
        return self.flavour or self.read_state().get("flavour", "MariaDB/MySQL")

    @classmethod
    def attach(cls, data_dir: Path) -> "ThrowawayServer | None":
        """The server already running from `data_dir` (started by anyone), or None."""
        server = cls(data_dir)
        state = server.read_state()
        pid, port = state.get("pid"), state.get("port")
        if not pid or not port or not process_alive(pid):
            return None
        # A pid can be reused after a reboot; make sure it is really our server.
        seen = command_line(pid)
        if seen is not None and f"--datadir={server.server_data}" not in seen:
            return None
        server.pid, server.port, server.detached = pid, port, True
        server.database = state.get("settings", {}).get("MYSQL_DATABASE", "bookshop")
        return server

    def is_running(self) -> bool:
        """True while the server process we started (or attached to) is alive."""
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and process_alive(self.pid)

    def initialise(self, programs: Programs) -> None:
        """Create the server's system tables, once (the first start of a folder).

        We initialise into `data.partial` and rename it when done, so a folder
        that was interrupted half-way is never mistaken for a ready one.
        """
        if self.server_data.exists():
            return
        partial = self.data_dir / "data.partial"
        shutil.rmtree(partial, ignore_errors=True)
        if programs.install:  # MariaDB
            command = [
                programs.install,
                "--no-defaults",  # ignore /etc/mysql/my.cnf: this is our own server
                f"--datadir={partial}",
                "--auth-root-authentication-method=normal",  # root, no password
                "--skip-test-db",  # no `test` database, a little faster
                "--loose-innodb-log-file-size=8M",  # the same as the server uses
                *user_option(),
            ]
        else:  # MySQL 8: the server initialises its own folder
            command = [
                programs.server,
                "--no-defaults",
                "--initialize-insecure",  # root without a password
                f"--datadir={partial}",
                "--loose-innodb-log-file-size=8M",
                *user_option(),
            ]
        install_log = self.data_dir / "install.log"
        with install_log.open("wb") as log:
            result = subprocess.run(command, stdout=log, stderr=log, check=False)
        if result.returncode != 0:
            raise DatabaseUnavailable(
                f"could not initialise {partial} (exit code {result.returncode}); "
                f"the end of {install_log}:\n{tail(install_log)}"
            )
        partial.rename(self.server_data)

    def server_command(self, programs: Programs) -> list[str]:
        """The command line that starts the server."""
        return [
            programs.server,
            "--no-defaults",  # must come first; ignore the machine's my.cnf
            f"--datadir={self.server_data}",
            f"--port={self.port}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.data_dir / 'mysqld.pid'}",
            f"--log-error={self.log_file}",
            *SERVER_OPTIONS,
            *user_option(),
        ]

    def start(self) -> dict[str, str]:
        """Start the server (if it is not running yet) and return its settings."""
        if self.is_running():
            return self.settings
        programs = find_programs()
        self.flavour = programs.flavour
        other = ThrowawayServer.attach(self.data_dir)
        if other is not None:
            raise DatabaseUnavailable(
                f"another database server (pid {other.pid}) already uses "
                f"{self.data_dir}; stop it first, e.g. with: kill {other.pid}"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the data, the password and the socket: ours only
        self.initialise(programs)
        if self.port is None:
            # Reuse the port of the last start when it is free, so settings that
            # a learner exported earlier still work after a restart.
            remembered = self.read_state().get("port")
            if remembered and not processes.port_in_use(remembered):
                self.port = remembered
            else:
                self.port = processes.free_port()
        self.launch(self.server_command(programs))
        try:
            self.wait_until_ready()
            # The socket may live in /tmp (see socket_path): only we may use it.
            self.socket_path.chmod(0o600)
            self.create_user_and_database()
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise
        self.write_state()
        return self.settings

    def launch(self, command: list[str]) -> None:
        """Start the server process; its early messages go to the error log."""
        with self.log_file.open("ab") as log:
            if self.detached:
                self.pid = launch_detached(command, log)
            else:
                # A session of its own: a Ctrl-C in the terminal reaches us, not
                # the server, so we can shut it down cleanly ourselves.
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
                self.pid = self.process.pid
                # Whatever happens to the caller, stop the server when Python exits.
                atexit.register(self.stop)

    def admin_connection(self, timeout: int = 5) -> mysql.connector.MySQLConnection:
        """Connect as root through the private socket (root has no password)."""
        return mysql.connector.connect(
            unix_socket=str(self.socket_path),
            user="root",
            connection_timeout=timeout,
            charset="utf8mb4",
            collation="utf8mb4_unicode_ci",
        )

    def wait_until_ready(self) -> None:
        """Wait until the server answers a real connection, or fail with its log."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.is_running():
                raise DatabaseUnavailable(
                    f"the database server stopped while starting; "
                    f"the end of {self.log_file}:\n{tail(self.log_file)}"
                )
            try:
                with self.admin_connection(timeout=2) as connection:
                    connection.ping()
                    return
            except mysql.connector.Error:
                if time.monotonic() > deadline:
                    raise DatabaseUnavailable(
                        f"the database server did not answer within "
                        f"{START_TIMEOUT:.0f} s; the end of {self.log_file}:\n"
                        f"{tail(self.log_file)}"
                    ) from None
                time.sleep(0.1)

    def create_user_and_database(self) -> None:
        """Create the application user and the database (both kept across restarts)."""
        with self.admin_connection() as connection, connection.cursor() as cursor:
            # mariadb-install-db also makes root accounts for 127.0.0.1, ::1 and
            # the host name, with no password: anyone on this machine could log
            # in over TCP. Root keeps only root@localhost, reached through the
            # socket in our private folder.
            cursor.execute(
                "SELECT User, Host FROM mysql.user"
                " WHERE User = 'root' AND Host <> 'localhost'"
            )
            for account in cursor.fetchall():
                cursor.execute("DROP USER %s@%s", account)
            # 127.0.0.1 is how the steps connect (TCP); localhost is what the
            # mariadb client calls a local connection.
            for host in ("127.0.0.1", "localhost"):
                account = (APP_USER, host)
                cursor.execute(
                    "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                    (*account, self.password),
                )
                # The password file may have been replaced: keep them in step.
                cursor.execute(
                    "ALTER USER %s@%s IDENTIFIED BY %s", (*account, self.password)
                )
                # All privileges, so the tests can create a database per test.
                cursor.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s", account)
        ensure_database(self.settings)

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM, then SIGKILL); safe to repeat."""
        if self.process is not None:
            processes.stop(self.process, timeout=STOP_TIMEOUT)
            self.process = None
            atexit.unregister(self.stop)
        elif self.pid is not None and process_alive(self.pid):
            stop_process_group(self.pid)
        if self.pid is not None:
            self.pid = None
            if self.data_dir.exists():
                self.write_state()

    def __enter__(self) -> dict[str, str]:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read: it holds a password."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


# --------------------------------------------------------------------------
# `lessons run`: a fresh database for one run
# --------------------------------------------------------------------------


@contextlib.contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Treat SIGTERM and SIGHUP like Ctrl-C for the block, so cleanup code runs.

    By default those signals (`kill`, a closed terminal, a CI timeout) end
    Python at once, skipping `finally` blocks and pytest's teardown, which would
    leave the database server running. As a KeyboardInterrupt they stop things
    the same way Ctrl-C does.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def interrupt(signal_number: int, frame: object) -> None:
        raise KeyboardInterrupt(f"stopped by signal {signal_number}")

    wanted = [signal.SIGTERM, getattr(signal, "SIGHUP", None)]  # no SIGHUP on Windows
    previous = {number: signal.signal(number, interrupt) for number in wanted if number}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def remove_leftover_runs(runs: Path) -> None:
    """Delete the folders of earlier runs that ended without cleaning up.

    Each run's folder starts with the pid of the `lessons` process that owns
    it; a folder whose owner is gone and whose server is not running is waste.
    """
    for folder in runs.iterdir():
        owner = folder.name.split("-")[0]
        if owner.isdigit() and process_alive(int(owner)):
            continue
        if ThrowawayServer.attach(folder) is None:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def database_for_run(root: Path) -> Iterator[dict[str, str]]:
    """The MYSQL_* settings of a database to run a step on, for a `with` block.

    With MYSQL_HOST set, that server is used (its database is created if it is
    missing) and nothing is started. Otherwise a fresh throwaway server starts
    under `root/.lessons/run-mysql/` and is stopped and deleted when the block
    ends, also on Ctrl-C, an error, SIGTERM or SIGHUP.
    """
    configured = settings_from_environment(root)
    if configured is not None:
        print(
            f"Using the database server from MYSQL_HOST ({configured_in(root)}): "
            f"{describe(configured)}; nothing is started."
        )
        try:
            yield ensure_database(configured)
        except mysql.connector.Error as error:
            raise DatabaseUnavailable(
                f"cannot use the database server from MYSQL_HOST "
                f"({describe(configured)}): {error}"
            ) from None
        return

    runs = Path(root) / ".lessons" / "run-mysql"
    runs.mkdir(parents=True, exist_ok=True)
    remove_leftover_runs(runs)
    data_dir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=runs))
    server = ThrowawayServer(data_dir)
    try:
        with interrupt_on_termination():
            print("Starting a throwaway database server for this run ...", flush=True)
            settings = server.start()
            print(
                f"{server.flavour_name()} is ready on 127.0.0.1:{server.port} "
                f"(database {settings['MYSQL_DATABASE']}); "
                "it stops when you press Ctrl-C.",
                flush=True,
            )
            yield settings
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        print("Stopped the throwaway database server.", flush=True)


# --------------------------------------------------------------------------
# `lessons db start|stop|status|env|shell`: a server that stays up
# --------------------------------------------------------------------------


def db_dir(root: Path) -> Path:
    """Where `lessons db` keeps its server's data."""
    return Path(root) / ".lessons" / "mysql"


def shown(path: Path, root: Path) -> str:
    """A path relative to the repository when it is inside it (shorter to read)."""
    try:
        return str(path.relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def print_settings(settings: dict[str, str]) -> None:
    """Print the settings, one `NAME=value` a line."""
    for name in SETTING_NAMES:
        print(f"  {name}={settings[name]}")


def configured_elsewhere(root: Path) -> dict[str, str] | None:
    """The MYSQL_* settings of a server that is not our `lessons db` one, or None.

    After `eval "$(lessons db env)"` the environment points at our own server,
    and `lessons db stop` (status, env, shell) must still manage it then.
    """
    configured = settings_from_environment(root)
    if configured is None:
        return None
    ours = ThrowawayServer(db_dir(root)).read_state().get("port")
    on_loopback = configured["MYSQL_HOST"] in ("127.0.0.1", "localhost")
    if on_loopback and str(ours) == configured["MYSQL_PORT"]:
        return None
    return configured


def say_configured(root: Path, settings: dict[str, str], action: str) -> None:
    """Explain that MYSQL_HOST names the server, so `lessons db` leaves it alone."""
    print(
        f"MYSQL_HOST is set in {configured_in(root)}, so that server is used: "
        f"{describe(settings)}. Nothing was {action}.",
        file=sys.stderr,
    )


def db_start(root: Path) -> int:
    """`lessons db start`: start the server in the background (or say it runs)."""
    configured = configured_elsewhere(root)
    if configured is not None:
        say_configured(root, configured, "started")
        return 0
    server = ThrowawayServer.attach(db_dir(root))
    if server is not None:
        print(
            f"The database server is already running on 127.0.0.1:{server.port} "
            f"(pid {server.pid})."
        )
    else:
        server = ThrowawayServer(db_dir(root), detached=True)
        print("Starting the database server ...", flush=True)
        try:
            server.start()
        except DatabaseUnavailable as problem:
            print(f"lessons db start: {problem}", file=sys.stderr)
            return 2
        print(
            f"{server.flavour_name()} is running on 127.0.0.1:{server.port} "
            f"(pid {server.pid}); data in {shown(server.data_dir, root)}/"
        )
    print_settings(server.settings)
    print('Use it in this shell:  eval "$(lessons db env)"')
    print("Stop it:               lessons db stop")
    return 0


def db_stop(root: Path) -> int:
    """`lessons db stop`: shut the background server down (its data stays)."""
    configured = configured_elsewhere(root)
    if configured is not None:
        say_configured(root, configured, "stopped")
        return 0
    server = ThrowawayServer.attach(db_dir(root))
    if server is None:
        print("The database server is not running.")
        return 0
    pid = server.pid
    server.stop()
    print(f"Stopped the database server (pid {pid}).")
    print(f"Its data stays in {shown(server.data_dir, root)}/; start it again with:")
    print("  lessons db start")
    return 0


def db_status(root: Path) -> int:
    """`lessons db status`: is there a server, where, and does it answer? 0 = yes."""
    configured = configured_elsewhere(root)
    if configured is not None:
        print(
            f"MYSQL_HOST is set in {configured_in(root)}: using {describe(configured)}"
        )
        problem = server_problem(configured)
        if problem:
            print(f"It does not answer: {problem}")
            return 1
        print("It answers.")
        return 0
    server = ThrowawayServer.attach(db_dir(root))
    if server is None:
        print("The database server is not running; start it with: lessons db start")
        return 1
    print(
        f"The database server is running on 127.0.0.1:{server.port} "
        f"(pid {server.pid}); data in {shown(server.data_dir, root)}/"
    )
    problem = server_problem(server.settings)
    if problem:
        print(f"It does not answer: {problem}")
        return 1
    print_settings(server.settings)
    return 0


def running_server_settings(root: Path) -> dict[str, str] | None:
    """The settings of the `lessons db` server, or None (saying how to start it)."""
    server = ThrowawayServer.attach(db_dir(root))
    if server is None:
        print(
            "The database server is not running; start it first: lessons db start",
            file=sys.stderr,
        )
        return None
    return server.settings


def db_env(root: Path) -> int:
    """`lessons db env`: print `export MYSQL_...=...` lines for `eval`.

    Only the export lines go to standard output, so `eval "$(lessons db env)"`
    runs nothing else; every remark goes to standard error.
    """
    settings = configured_elsewhere(root)
    if settings is not None:
        say_configured(root, settings, "started")
    else:
        settings = running_server_settings(root)
        if settings is None:
            return 1
    for name in SETTING_NAMES:
        print(f"export {name}={shlex.quote(settings[name])}")
    return 0


def db_shell(root: Path) -> int:
    """`lessons db shell`: open the mariadb (or mysql) client on the database."""
    settings = configured_elsewhere(root) or running_server_settings(root)
    if settings is None:
        return 1
    search_path = os.pathsep.join([os.environ.get("PATH", ""), *system.EXTRA_FOLDERS])
    client = shutil.which("mariadb", path=search_path) or shutil.which(
        "mysql", path=search_path
    )
    if client is None:
        print(
            "lessons db shell: the mariadb/mysql client is not installed. "
            "Install it with: sudo apt install mariadb-client  "
            "(macOS: brew install mariadb)",
            file=sys.stderr,
        )
        return 2
    command = [
        client,
        f"--host={settings['MYSQL_HOST']}",
        f"--port={settings['MYSQL_PORT']}",
        f"--user={settings['MYSQL_USER']}",
        "--protocol=TCP",  # like the steps do, even when the host is "localhost"
        "--default-character-set=utf8mb4",
        settings["MYSQL_DATABASE"],
    ]
    # The password goes in the environment, not on the command line, where
    # every user of the machine could read it with `ps`.
    environment = {**os.environ, "MYSQL_PWD": settings["MYSQL_PASSWORD"]}
    print(f"Connecting to {describe(settings)} (type exit to leave)", flush=True)
    # Become the client (like `exec` in a shell): no process is left in between.
    os.execve(client, command, environment)  # noqa: S606 - no shell, on purpose
    return 0  # pragma: no cover
