"""The throwaway database: a private MariaDB/MySQL server, its files in one folder.

Started from the programs on this machine with its own data folder, loopback
only, a free port, utf8mb4, a random password for the app's account and no
system service. `lessons db start` keeps one running between commands; every
other user (a run, a test session, a benchmark) gets one that dies with it.
"""

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import mysql.connector

from lessons import database, processes, system
from lessons.errors import LessonsError
from lessons.settings import DEFAULTS

APP_USER = "lessons"  # the account the steps connect as (never root)
# Fresh data folders, one per server program, copied for each new server.
INITIALISED = Path(__file__).resolve().parent.parent / ".lessons" / "initialised"
AS_ROOT = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses root else
SERVER_OPTIONS = (
    "--bind-address=127.0.0.1",  # loopback only: nobody else on the network
    "--skip-networking=0",  # ...but do listen on TCP (the steps connect over TCP)
    "--skip-name-resolve",  # no DNS look-ups for client addresses: faster
    "--character-set-server=utf8mb4",  # the full Unicode range, emoji included
    "--collation-server=utf8mb4_unicode_ci",
    # Small and fast rather than safe: no binary log (no replica to feed), no
    # performance schema, a small cache and redo log, the redo log flushed about
    # once a second, all tables in one file and no doublewrite buffer (tests
    # create and drop a database each). A crash may lose a throwaway's data.
    "--skip-log-bin",
    "--performance-schema=OFF",
    "--innodb-buffer-pool-size=16M",
    "--loose-innodb-log-file-size=8M",
    "--innodb-flush-log-at-trx-commit=2",
    "--innodb-file-per-table=OFF",
    "--loose-innodb-doublewrite=0",
    # MySQL 8 also listens on port 33060 (X protocol); two servers would fight
    # over it. `loose-` makes MariaDB ignore an option it does not know.
    "--loose-mysqlx=OFF",
)


class DatabaseUnavailable(LessonsError):
    """No database server can be used; the message says why and what to do."""


def find_programs() -> tuple[str, str | None, str]:
    """(server, install program or None for MySQL, flavour), MariaDB preferred."""
    server = system.find("mariadb")
    if server is None:
        raise DatabaseUnavailable(system.missing_message("mariadb"))
    if Path(server).name == "mysqld":  # older MariaDB releases use this name too
        version = subprocess.run([server, "--version"], capture_output=True, text=True)
        if "mariadb" not in version.stdout.lower():
            return server, None, "MySQL"  # MySQL 8 initialises its own folder
    install = system.which("mariadb-install-db", "mysql_install_db")
    if install is None:
        message = system.missing_message("mariadb")
        raise DatabaseUnavailable(
            f"found {server} but not mariadb-install-db; {message}"
        )
    return server, install, "MariaDB"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read: it holds a password."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


class ThrowawayServer:
    """A private server whose files all live in `data_dir`; with `outlive=True`
    it outlives this Python process (`lessons db start`)."""

    def __init__(
        self, data_dir: Path, outlive: bool = False, options: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.outlive = outlive
        self.options = options  # extra server options (a later one wins)
        self.port: int | None = None
        self.pid: int | None = None
        self.process: subprocess.Popen | None = None  # when we are its parent
        self.flavour = "MariaDB/MySQL"
        self.server_data = self.data_dir / "data"  # the server's own files
        self.log_file = self.data_dir / "server.log"
        self.state_file = self.data_dir / "server.json"  # pid, port, flavour
        # The private Unix socket root connects through; its path must fit in
        # about 100 bytes, which a deep folder does not.
        self.socket_path = self.data_dir / "mysqld.sock"
        if len(str(self.socket_path)) > 100:
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
            self.socket_path = Path(tempfile.gettempdir(), f"lessons-{digest}.sock")

    @property
    def password(self) -> str:
        """The app user's password: random, made once, kept in data_dir."""
        password_file = self.data_dir / "password"
        if not password_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            write_private(password_file, secrets.token_hex(16))
        return password_file.read_text(encoding="utf-8").strip()

    @property
    def settings(self) -> dict[str, str]:
        """The MYSQL_* settings that reach this server as the application user."""
        return {
            "MYSQL_HOST": "127.0.0.1",
            "MYSQL_PORT": str(self.port),
            "MYSQL_USER": APP_USER,
            "MYSQL_PASSWORD": self.password,
            "MYSQL_DATABASE": DEFAULTS["MYSQL_DATABASE"],
        }

    def read_state(self) -> dict:
        """What server.json says ({} when there is none, or it is half-written)."""
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_state(self) -> None:
        state = {"pid": self.pid, "port": self.port, "flavour": self.flavour}
        write_private(self.state_file, json.dumps(state) + "\n")

    @classmethod
    def attach(cls, data_dir: Path) -> "ThrowawayServer | None":
        """The server already running from `data_dir` (started by anyone), or None."""
        server = cls(data_dir, outlive=True)
        state = server.read_state()
        pid, port = state.get("pid"), state.get("port")
        if not pid or not port or not processes.alive(pid):
            return None
        # A pid can be reused after a reboot; make sure it is really our server.
        seen = processes.command_line(pid)
        if seen is not None and f"--datadir={server.server_data}" not in seen:
            return None
        server.pid, server.port, server.flavour = pid, port, state["flavour"]
        return server

    def is_running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and processes.alive(self.pid)

    def initialise(self, server: str, install: str | None) -> None:
        """Give the server its system tables, as a copy of a folder the install
        program made once for this server program (copying is much faster).
        Each folder is made under a .partial name, then renamed, so one that
        was interrupted half-way is never taken for a ready one."""
        if self.server_data.exists():
            return
        changed = Path(server).stat().st_mtime_ns  # an upgrade makes a new one
        template = INITIALISED / f"{Path(server).name}-{changed}-{os.geteuid()}"
        if not template.exists():
            partial = template.with_name(f"{template.name}.partial-{os.getpid()}")
            partial.parent.mkdir(parents=True, exist_ok=True)
            command = [install or server, "--no-defaults", f"--datadir={partial}"]
            command += [*AS_ROOT, "--loose-innodb-log-file-size=8M"]  # as we run it
            if install:  # MariaDB: root without a password, no `test` database
                command += [
                    "--skip-test-db",
                    "--auth-root-authentication-method=normal",
                ]
            else:  # MySQL: the server makes its own, root without a password
                command.append("--initialize-insecure")
            install_log = self.data_dir / "install.log"
            with install_log.open("wb") as log:
                done = subprocess.run(command, stdout=log, stderr=log).returncode
            if done != 0:
                shutil.rmtree(partial, ignore_errors=True)
                raise DatabaseUnavailable(
                    f"could not initialise {partial} (exit code {done}); the end "
                    f"of {install_log}:\n{processes.tail(install_log)}"
                )
            try:
                partial.rename(template)
            except OSError:  # another command made it at the same time
                shutil.rmtree(partial, ignore_errors=True)
        partial = self.data_dir / "data.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(template, partial, symlinks=True)
        partial.rename(self.server_data)

    def start(self) -> dict[str, str]:
        """Start the server (if it is not running yet) and return its settings."""
        if self.is_running():
            return self.settings
        server, install, self.flavour = find_programs()
        other = ThrowawayServer.attach(self.data_dir)
        if other is not None:
            raise DatabaseUnavailable(
                f"another database server (pid {other.pid}) already uses "
                f"{self.data_dir}; stop it first, e.g. with: kill {other.pid}"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the data, the password and the socket: ours
        self.initialise(server, install)
        # Reuse the last port when it is free: settings exported earlier still work.
        remembered = self.port or self.read_state().get("port")
        free = remembered and not processes.port_in_use(remembered)
        self.port = remembered if free else processes.free_port()
        command = [
            server,
            "--no-defaults",  # must come first: ignore the machine's my.cnf
            f"--datadir={self.server_data}",
            f"--port={self.port}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.data_dir / 'mysqld.pid'}",
            f"--log-error={self.log_file}",
            *SERVER_OPTIONS,
            *self.options,
            *AS_ROOT,
        ]
        # Unless it is to outlive us: if we die, SIGKILL it. mariadbd loses a
        # SIGTERM that comes in its first moments (sent 50 ms after the start,
        # it kept running), and a throwaway's data is not worth a clean stop.
        self.process = processes.start(
            command,
            outlive=self.outlive,
            log=self.log_file,
            death_signal=signal.SIGKILL,
            stdin=subprocess.DEVNULL,
        )
        self.pid = self.process.pid
        ready = False
        try:
            self.wait_until_ready()
            ready = True
            self.socket_path.chmod(0o600)  # it may live in /tmp: only we may use it
            self.create_user_and_database()
        except BaseException:
            # Never leave a half-started server behind. One that is not ready
            # yet is killed at once: it has written nothing, and it loses a
            # SIGTERM (a Ctrl-C 50 ms after the start waited 30 s for SIGKILL).
            self.stop(at_once=not ready)
            raise
        self.write_state()
        return self.settings

    def admin_connection(self, timeout: int = 5):
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
        deadline = time.monotonic() + 60  # seconds
        while self.is_running() and time.monotonic() < deadline:
            try:
                with self.admin_connection(timeout=2) as connection:
                    connection.ping()
                return
            except mysql.connector.Error:
                time.sleep(processes.TICK)
        raise DatabaseUnavailable(
            f"the database server did not start; the end of {self.log_file}:\n"
            f"{processes.tail(self.log_file)}"
        )

    def create_user_and_database(self) -> None:
        """The app's account (all privileges: tests make a database each) and db."""
        with self.admin_connection() as connection, connection.cursor() as cursor:
            # mariadb-install-db also makes root@127.0.0.1, ::1 and the host name
            # with no password: anyone here could log in over TCP. Root keeps only
            # root@localhost, reached through the socket in our private folder.
            cursor.execute(
                "SELECT User, Host FROM mysql.user"
                " WHERE User = 'root' AND Host <> 'localhost'"
            )
            for account in cursor.fetchall():
                cursor.execute("DROP USER %s@%s", account)
            # 127.0.0.1 is how the steps connect (TCP); localhost is the client's.
            for host in ("127.0.0.1", "localhost"):
                account = (APP_USER, host, self.password)
                sql = "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s"
                cursor.execute(sql, account)
                # The password file may have been replaced: keep them in step.
                cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", account)
                cursor.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s", (APP_USER, host))
        database.ensure_database(self.settings)

    def stop(self, at_once: bool = False) -> None:
        """Stop the server, data kept (SIGTERM, then SIGKILL; `at_once`: SIGKILL
        straight away); safe to repeat."""
        if self.process is not None:
            processes.stop(self.process, timeout=30, at_once=at_once)
        elif self.pid is not None:
            processes.stop_group(self.pid, timeout=30, at_once=at_once)
        if self.pid is not None and self.data_dir.exists():
            self.pid, self.process = None, None
            self.write_state()

    def __enter__(self) -> dict[str, str]:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def temporary_server(
    parent: str | Path | None = None,
    prefix: str = "lessons-mysql-",
    options: tuple[str, ...] = (),
) -> Iterator["ThrowawayServer"]:
    """A started server in a new folder under `parent` for a `with` block, then
    stopped and deleted: a run's, a test session's, a benchmark's."""
    with tempfile.TemporaryDirectory(
        prefix=prefix, dir=parent, ignore_cleanup_errors=True
    ) as folder:
        server = ThrowawayServer(Path(folder), options=options)
        with server:  # start() now, stop() when the block ends
            yield server
