"""`lessons db start|stop|status|env|shell`, and the database of a `lessons run`.

`lessons db start` keeps one throwaway server running between commands, data in
`.lessons/mysql/`: the one server the tooling starts on purpose to outlive the
command. A `lessons run` gets a fresh server that stops (and is deleted) with it.
When MYSQL_HOST names another server, that one is used and nothing is started.
"""

import contextlib
import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import mysql.connector

from lessons import database, processes, settings, system
from lessons.throwaway import DatabaseUnavailable, ThrowawayServer, temporary_server

OURS = Path(".lessons", "mysql")  # our server's folder, under the repository root


def say(text: str) -> None:
    """A remark: to stderr, so `eval "$(lessons db env)"` only runs the exports."""
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def database_for_run(root: Path, your_server: bool = False) -> Iterator[dict[str, str]]:
    """The MYSQL_* settings for a run, for a `with` block: a fresh throwaway server
    under `.lessons/run-mysql/`, stopped and deleted when the block ends.
    MYSQL_HOST's server only with `your_server` (`--your-database`): a run
    loads the schema, and a learner's own books must never be at risk from a
    plain `make run`."""
    configured, set_in = settings.configured(root), settings.configured_in(root)
    if your_server:
        if configured is None:
            raise DatabaseUnavailable(
                "--your-database needs MYSQL_HOST and the other MYSQL_* settings, "
                "in the environment or in .env (see 04_mysql_crud/.env.example)"
            )
        address = settings.describe(configured)
        print(
            f"Using the database server from MYSQL_HOST ({set_in}): {address}; "
            "nothing is started."
        )
        try:
            database.ensure_database(configured)
        except mysql.connector.Error as error:
            message = f"cannot use the database server from MYSQL_HOST ({address})"
            raise DatabaseUnavailable(f"{message}: {error}") from None
        yield configured
        return
    if configured is not None:
        print(
            f"MYSQL_HOST is set ({set_in}), but this run leaves your server alone and "
            "uses a throwaway one (lessons run --your-database would use yours)."
        )
    runs = Path(root) / ".lessons" / "run-mysql"
    runs.mkdir(parents=True, exist_ok=True)
    for folder in runs.iterdir():  # runs that ended without cleaning up
        owner = folder.name.split("-")[0]
        owned = owner.isdigit() and processes.alive(int(owner))
        if not owned and ThrowawayServer.attach(folder) is None:
            shutil.rmtree(folder, ignore_errors=True)
    print("Starting a throwaway database server for this run ...", flush=True)
    # The folder's name starts with our pid: while we run, it is not a leftover.
    with temporary_server(runs, prefix=f"{os.getpid()}-") as server:
        found = server.settings
        print(
            f"{server.flavour} is ready on 127.0.0.1:{server.port} (database "
            f"{found['MYSQL_DATABASE']}); it stops when you press Ctrl-C.",
            flush=True,
        )
        try:
            yield found
        finally:
            print("Stopping the throwaway database server ...", flush=True)


def configured_elsewhere(root: Path, action: str = "") -> dict[str, str] | None:
    """The MYSQL_* settings when they name a server other than our own, or None
    (with `action`, saying that one is left alone). After `eval "$(lessons db env)"`
    they name ours, which we still manage."""
    configured = settings.configured(root)
    port = ThrowawayServer(root / OURS).read_state().get("port")
    if configured is None or (
        configured["MYSQL_HOST"] in ("127.0.0.1", "localhost")
        and configured["MYSQL_PORT"] == str(port)
    ):
        return None
    if action:
        say(
            f"MYSQL_HOST is set in {settings.configured_in(root)}, so that server is "
            f"used: {settings.describe(configured)}. Nothing was {action}."
        )
    return configured


def running_settings(root: Path, action: str = "") -> dict[str, str] | None:
    """The settings of MYSQL_HOST's server or ours, or None (saying how to start)."""
    found = configured_elsewhere(root, action)
    server = None if found else ThrowawayServer.attach(root / OURS)
    if found is None and server is None:
        say("The database server is not running; start it first: lessons db start")
        return None
    return found or server.settings


def print_settings(found: dict[str, str]) -> None:
    for name in settings.NAMES:
        print(f"  {name}={found[name]}")


def where(server: ThrowawayServer) -> str:
    return f"127.0.0.1:{server.port} (pid {server.pid}); data in .lessons/mysql/"


def db_start(root: Path) -> int:
    if configured_elsewhere(root, "started"):
        return 0
    server = ThrowawayServer.attach(root / OURS)
    if server is not None:
        print(
            f"The database server is already running on 127.0.0.1:{server.port} "
            f"(pid {server.pid})."
        )
    else:
        server = ThrowawayServer(root / OURS, outlive=True)
        print("Starting the database server ...", flush=True)
        try:
            server.start()
        except DatabaseUnavailable as problem:
            say(f"lessons db start: {problem}")
            return 2
        print(f"{server.flavour} is running on {where(server)}")
    print_settings(server.settings)
    print('Use it in this shell:  eval "$(lessons db env)"')
    print("Stop it:               lessons db stop")
    return 0


def db_stop(root: Path) -> int:
    if configured_elsewhere(root, "stopped"):
        return 0
    server = ThrowawayServer.attach(root / OURS)
    if server is None:
        print("The database server is not running.")
        return 0
    pid = server.pid
    server.stop()
    print(f"Stopped the database server (pid {pid}).")
    print("Its data stays in .lessons/mysql/; start it again with: lessons db start")
    return 0


def db_status(root: Path) -> int:
    """Is there a server, where, and does it answer? Exit code 0: yes."""
    found = configured_elsewhere(root)
    if found is not None:
        print(
            f"MYSQL_HOST is set in {settings.configured_in(root)}: "
            f"using {settings.describe(found)}"
        )
    else:
        server = ThrowawayServer.attach(root / OURS)
        if server is None:
            print("The database server is not running; start it: lessons db start")
            return 1
        print(f"The database server is running on {where(server)}")
        found = server.settings
    problem = database.server_problem(found)
    if problem:
        print(f"It does not answer: {problem}")
        return 1
    print("It answers.")
    print_settings(found)
    return 0


def db_env(root: Path) -> int:
    """`export MYSQL_...=...` lines for `eval` (remarks go to stderr)."""
    found = running_settings(root, "started")
    if found is None:
        return 1
    for name in settings.NAMES:
        print(f"export {name}={shlex.quote(found[name])}")
    return 0


def db_shell(root: Path) -> int:
    """Become the mariadb client, connected to the server as the app's user."""
    found = running_settings(root)
    if found is None:
        return 1
    client = system.which("mariadb", "mysql")
    if client is None:
        say(
            "lessons db shell: the mariadb/mysql client is not installed. Install it"
            " with: sudo apt install mariadb-client  (macOS: brew install mariadb)"
        )
        return 2
    command = [client, f"--host={found['MYSQL_HOST']}", f"--port={found['MYSQL_PORT']}"]
    command += [f"--user={found['MYSQL_USER']}", "--default-character-set=utf8mb4"]
    # TCP as the steps connect, even when the host is "localhost".
    command += ["--protocol=TCP", found["MYSQL_DATABASE"]]
    # The password goes in the environment: on the command line `ps` shows it.
    environment = {**os.environ, "MYSQL_PWD": found["MYSQL_PASSWORD"]}
    print(f"Connecting to {settings.describe(found)} (type exit to leave)", flush=True)
    os.execve(client, command, environment)  # noqa: S606 - become the client
    return 0  # pragma: no cover
