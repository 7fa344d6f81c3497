"""Benchmark `pool`: a new database connection per request, or a connection pool.

Step 05's app under two gunicorns, without and with MYSQL_POOL_SIZE (ABOUT
says how); the server's `Connections` counter shows what each really opened.
"""

import os

from lessons import database
from lessons.bench.books import STEP_FOLDER, database_with_books
from lessons.bench.common import (
    BenchmarkUnavailable,
    Section,
    database_version,
)
from lessons.bench.load import (
    Runs,
    failure_notes,
    load_tools,
    race,
    rate_table,
)
from lessons.processes import free_port
from lessons.production import GUNICORN_COMMAND

BOOKS = 1000
PATH = "/books/500"
POOL_SIZE = 5
WORKERS = 2  # gunicorn worker processes: one per CPU of a 2-core machine
CONNECTIONS = (1, 8)
ROUNDS = 3
DURATION = 3.0
PER_REQUEST = "a new connection per request"
POOLED = f"a pool of {POOL_SIZE} per worker"
ABOUT = f"""\
Opening a connection to MySQL costs a TCP handshake, a login and a few settings,
all before the first query. Step 04 pays that on every request; step 05 can keep
a pool of open connections in each worker instead (`MYSQL_POOL_SIZE`). Here step
05's app runs under gunicorn ({WORKERS} sync workers) twice, side by side: without
a pool, and with `MYSQL_POOL_SIZE={POOL_SIZE}`. Both answer `GET {PATH}` under
load."""


def connections_opened(settings: dict[str, str]) -> int:
    """The server's count of connections made since it started (this one included)."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Connections'")
        return int(cursor.fetchone()[1])


def environment(settings: dict[str, str], port: int, pool_size: int) -> dict:
    """The environment for one gunicorn: database, port, workers, pool size."""
    bind = {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(WORKERS)}
    # MYSQL_POOL_SIZE always set, so one in a .env file cannot change the race:
    # 0 is step 04's way, a new connection per request.
    return {**os.environ, **settings, **bind, "MYSQL_POOL_SIZE": str(pool_size)}


def check_step() -> None:
    """Stop with a clear message when step 05 lacks what this benchmark needs."""
    for needed in ("app.py", "schema.sql", "deploy/gunicorn.conf.py"):
        if not (STEP_FOLDER / needed).exists():
            raise BenchmarkUnavailable(f"{STEP_FOLDER.name}/{needed} does not exist")
    if "MYSQL_POOL_SIZE" not in (STEP_FOLDER / "db_connection.py").read_text():
        raise BenchmarkUnavailable(
            f"{STEP_FOLDER.name}/db_connection.py has no MYSQL_POOL_SIZE setting"
        )


def measure(
    settings: dict[str, str],
    duration: float = DURATION,
    rounds: int = ROUNDS,
    wrk: str | None = None,
) -> tuple[Runs, dict[str, int]]:
    """Race both gunicorns; the runs, and the database connections each opened."""
    servers = {}
    for label, pool_size in ((PER_REQUEST, 0), (POOLED, POOL_SIZE)):
        port = free_port()
        servers[label] = (
            GUNICORN_COMMAND,
            port,
            environment(settings, port, pool_size),
        )
    runs, grew = race(
        servers, STEP_FOLDER, PATH, CONNECTIONS, rounds, duration, wrk,
        counter=lambda: connections_opened(settings),
    )  # fmt: skip
    # Each reading of the counter opens a connection itself: one per run.
    return runs, {label: grew[label] - rounds * len(CONNECTIONS) for label in grew}


def run(
    duration: float = DURATION, rounds: int = ROUNDS, use_wrk: bool = True
) -> Section:
    """Start a throwaway database, run the benchmark, describe it as a Section."""
    check_step()
    wrk, parts = load_tools(use_wrk)
    with database_with_books(BOOKS) as (settings, _):
        parts.update(database_version(settings))
        runs, opened = measure(settings, duration, rounds, wrk)
    return describe(runs, opened, parts, duration, rounds, wrk is not None)


def describe(
    runs: Runs,
    opened: dict[str, int],
    parts: dict[str, str],
    duration: float,
    rounds: int,
    used_wrk: bool,
) -> Section:
    """The table and notes for the page."""
    table = rate_table(runs, "database connections", PER_REQUEST, "÷ no pool")
    answered = dict.fromkeys(opened, 0)  # requests each gunicorn answered
    for (label, _), results in runs.items():
        answered[label] += sum(result.requests for result in results)
    tool = "wrk" if used_wrk else "the built-in load generator (see `servers`)"
    counted = "; ".join(
        f"{label}: {opened[label]:,} for {answered[label]:,} requests"
        for label in opened
    )
    notes = [
        f"Load from {tool}, {duration:g} s per run; each figure is the median of "
        f"{rounds} runs, the two gunicorns taking turns. Both write the access-log "
        "line per request that deploy/gunicorn.conf.py asks for (to /dev/null here).",
        f"Database connections opened, from the server's `Connections` counter: "
        f"{counted}.",
        *failure_notes(runs),
    ]
    return Section("pool", "Connection pool vs a connection per request", ABOUT,
                   [table], notes, parts=parts)  # fmt: skip
