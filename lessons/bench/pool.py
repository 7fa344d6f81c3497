"""Benchmark `pool`: a new database connection per request, or a connection pool.

Step 04 opens a connection to MySQL for every request and closes it at the end.
Step 05 can keep a pool instead (MYSQL_POOL_SIZE, in db_connection.py). Here the
step 05 app runs under gunicorn twice, side by side: once without a pool, once
with MYSQL_POOL_SIZE=5, and both answer `GET /books/<id>` under load. The
server's `Connections` counter shows how many connections each one really opened.
"""

import contextlib
import os
from pathlib import Path

from lessons import database
from lessons.bench.books import STEP_FOLDER, database_with_books
from lessons.bench.common import (
    BenchmarkUnavailable,
    Section,
    database_version,
    gunicorn_version,
    markdown_table,
    median,
    milliseconds,
    per_second,
    times,
)
from lessons.bench.load import (
    LoadResult,
    failure_notes,
    find_wrk,
    load,
    python_load,
    wrk_version,
)
from lessons.processes import free_port, running
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
    return {
        **os.environ,
        **settings,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        # Always set, so a MYSQL_POOL_SIZE in a .env file cannot change the
        # race: 0 is step 04's way, a new connection per request.
        "MYSQL_POOL_SIZE": str(pool_size),
    }


def check_step() -> None:
    """Stop with a clear message when step 05 lacks what this benchmark needs."""
    for needed in ("app.py", "schema.sql", "deploy/gunicorn.conf.py"):
        if not (STEP_FOLDER / needed).exists():
            raise BenchmarkUnavailable(f"{STEP_FOLDER.name}/{needed} does not exist")
    db_connection = STEP_FOLDER / "db_connection.py"
    if "MYSQL_POOL_SIZE" not in db_connection.read_text(encoding="utf-8"):
        raise BenchmarkUnavailable(
            f"{STEP_FOLDER.name}/db_connection.py has no MYSQL_POOL_SIZE setting"
        )


def measure(
    settings: dict[str, str],
    duration: float = DURATION,
    rounds: int = ROUNDS,
    wrk: str | None = None,
) -> tuple[dict[tuple[str, int], list[LoadResult]], dict[str, int]]:
    """Run both gunicorns and load them in turn.

    Returns the runs per (label, connections) and, per label, how many database
    connections the server saw opened during that label's runs.
    """
    ports = {PER_REQUEST: free_port(), POOLED: free_port()}
    pool_sizes = {PER_REQUEST: 0, POOLED: POOL_SIZE}
    runs: dict[tuple[str, int], list[LoadResult]] = {}
    opened = dict.fromkeys(ports, 0)
    with contextlib.ExitStack() as servers:
        for label, port in ports.items():
            env = environment(settings, port, pool_sizes[label])
            servers.enter_context(
                running(GUNICORN_COMMAND, port, log=Path(os.devnull), cwd=STEP_FOLDER,
                        env=env)
            )  # fmt: skip
        for port in ports.values():  # first requests: workers import, pools fill
            python_load(port, PATH, concurrency=WORKERS * 2, total_requests=40)
        for round_number in range(rounds):
            print(f"  round {round_number + 1} of {rounds}", flush=True)
            for connections in CONNECTIONS:
                for label, port in ports.items():
                    before = connections_opened(settings)
                    result = load(port, PATH, connections, duration, wrk)
                    # -1: the connection connections_opened() itself made.
                    opened[label] += connections_opened(settings) - before - 1
                    runs.setdefault((label, connections), []).append(result)
    return runs, opened


def run(
    duration: float = DURATION, rounds: int = ROUNDS, use_wrk: bool = True
) -> Section:
    """Start a throwaway database, run the benchmark, describe it as a Section."""
    check_step()
    wrk = find_wrk() if use_wrk else None
    parts = {"gunicorn": gunicorn_version()}
    if wrk:
        parts["wrk"] = wrk_version(wrk)
    with database_with_books(BOOKS) as (settings, _):
        parts.update(database_version(settings))
        runs, opened = measure(settings, duration, rounds, wrk)
    return describe(runs, opened, parts, duration, rounds, wrk is not None)


def describe(
    runs: dict[tuple[str, int], list[LoadResult]],
    opened: dict[str, int],
    parts: dict[str, str],
    duration: float,
    rounds: int,
    used_wrk: bool,
) -> Section:
    """The table and notes for the page."""
    rows = []
    for connections in CONNECTIONS:
        baseline = median([run.per_second for run in runs[(PER_REQUEST, connections)]])
        for label in (PER_REQUEST, POOLED):
            results = runs[(label, connections)]
            rate = median([result.per_second for result in results])
            rows.append(
                [
                    str(connections),
                    label,
                    per_second(rate),
                    milliseconds(median([result.p50 for result in results])),
                    milliseconds(median([result.p99 for result in results])),
                    times(rate / baseline),
                ]
            )
    table = markdown_table(
        [
            "connections",
            "database connections",
            "requests/s",
            "p50",
            "p99",
            "÷ no pool",
        ],
        rows,
        align="rlrrrr",
    )
    answered = dict.fromkeys(opened, 0)  # requests each gunicorn answered
    for (label, _), results in runs.items():
        answered[label] += sum(result.requests for result in results)
    tool = "wrk" if used_wrk else "the built-in load generator (see `servers`)"
    notes = [
        f"Load from {tool}, {duration:g} s per run; each figure is the median of "
        f"{rounds} runs, the two gunicorns taking turns. Both write the access-log "
        "line per request that deploy/gunicorn.conf.py asks for (to /dev/null here).",
        "Database connections opened, from the server's `Connections` counter: "
        + "; ".join(
            f"{label}: {opened[label]:,} for {answered[label]:,} requests"
            for label in opened
        )
        + ".",
    ]
    notes += failure_notes(runs)
    return Section(
        name="pool",
        title="Connection pool vs a connection per request",
        about=ABOUT,
        tables=[table],
        notes=notes,
        parts=parts,
    )
