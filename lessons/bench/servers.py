"""Benchmark `servers`: step 01's server.py against wsgiref and gunicorn.

Three WSGI servers serve the same application, step 01's `app.py`, route
`/hello?name=bench`. We load each one with 1 and then 8 keep-alive connections
and measure requests per second and latency (p50, p99). The servers take turns,
round after round, so a slow moment of the machine hits all of them alike.

A fourth server, which answers instantly without any WSGI app, shows the
ceiling: the most the load generator and this machine can measure at all.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from lessons.bench.common import (
    Check,
    Section,
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
    instant_server_command,
    load,
    python_load,
    wrk_version,
)
from lessons.processes import free_port, running
from lessons.steps import ROOT

STEP_FOLDER = ROOT / "01_raw_wsgi"
PATH = "/hello?name=bench"
CONNECTIONS = (1, 8)
ROUNDS = 3  # each figure is the median of this many runs
DURATION = 3.0  # seconds per run

ABOUT = """\
Step 01 builds a WSGI server from sockets. Is it any good? Here it serves step
01's `app.py` (`GET /hello?name=bench`) next to two other WSGI servers: the
standard library's `wsgiref.simple_server` and gunicorn, the server the course
uses in production. The table gives requests per second and latency (p50: half
of the requests were faster; p99: one in a hundred was slower) with 1 and with 8
connections open at the same time, each kept open between requests
(keep-alive)."""

STEP01 = "step 01 `server.py`"
STEP01_WORKERS = "step 01 `server.py --workers 2`"
WSGIREF = "`wsgiref.simple_server`"
GUNICORN = "gunicorn, 2 sync workers"
GTHREAD = "gunicorn, 2 gthread workers × 8 threads"
INSTANT = "instant answer, no app (the ceiling)"

# wsgiref has no command line for serving your own app, so we give it one.
WSGIREF_PROGRAM = """\
import sys
from wsgiref.simple_server import make_server
from app import application
make_server("127.0.0.1", int(sys.argv[1]), application).serve_forever()
"""


def has_workers_option() -> bool:
    """True when step 01's server.py offers its pre-fork mode (--workers N)."""
    result = subprocess.run(
        [sys.executable, "server.py", "--help"],
        cwd=STEP_FOLDER, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return "--workers" in result.stdout


def contenders() -> dict[str, tuple[list[str], int]]:
    """Each server's label -> (the command that starts it, its free port)."""
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "--no-control-socket", "--workers=2"]
    gunicorn.append("--bind=127.0.0.1:{port}")
    commands = {
        STEP01: lambda port: [python, "server.py", f"--port={port}"],
        WSGIREF: lambda port: [python, "-c", WSGIREF_PROGRAM, str(port)],
        # sync: gunicorn's default, one request at a time per worker.
        GUNICORN: lambda port: [*gunicorn, "--worker-class=sync"],
        # gthread: a pool of threads per worker, and it keeps connections open.
        GTHREAD: lambda port: [*gunicorn, "--worker-class=gthread", "--threads=8"],
        INSTANT: instant_server_command,
    }  # fmt: skip
    if has_workers_option():
        commands[STEP01_WORKERS] = lambda port: [
            python, "server.py", f"--port={port}", "--workers=2"
        ]  # fmt: skip
    racers = {}
    for label, command in commands.items():
        port = free_port()
        app = [] if label in (WSGIREF, INSTANT) else ["app:application"]
        filled = [part.replace("{port}", str(port)) for part in command(port)]
        racers[label] = ([*filled, *app], port)
    return racers


def summary_row(
    connections: int, label: str, runs: list[LoadResult], baseline: list[LoadResult]
) -> list[str]:
    """One table row: the medians of the runs, and the rate compared with wsgiref."""
    rate = median([run.per_second for run in runs])
    baseline_rate = median([run.per_second for run in baseline])
    return [
        str(connections),
        label,
        per_second(rate),
        milliseconds(median([run.p50 for run in runs])),
        milliseconds(median([run.p99 for run in runs])),
        "—" if label == INSTANT else times(rate / baseline_rate),
    ]


def measure(
    duration: float = DURATION, rounds: int = ROUNDS, wrk: str | None = None
) -> dict[tuple[str, int], list[LoadResult]]:
    """Start every contender, then load each in turn; the runs per (label, conns)."""
    runs: dict[tuple[str, int], list[LoadResult]] = {}
    racers = contenders()
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with contextlib.ExitStack() as servers:  # stops every server we started
        for command, port in racers.values():
            # Every server logs to the same place, /dev/null: writing an access
            # log costs time, and a file or a terminal would cost more.
            servers.enter_context(
                running(command, port, log=Path(os.devnull), cwd=STEP_FOLDER,
                        env=environment)
            )  # fmt: skip
        for _command, port in racers.values():  # first requests: imports, caches
            python_load(port, PATH, concurrency=2, total_requests=20)
        for round_number in range(rounds):
            print(f"  round {round_number + 1} of {rounds}", flush=True)
            for connections in CONNECTIONS:
                for label, (_command, port) in racers.items():
                    result = load(port, PATH, connections, duration, wrk)
                    runs.setdefault((label, connections), []).append(result)
    return runs


def run(
    duration: float = DURATION, rounds: int = ROUNDS, use_wrk: bool = True
) -> Section:
    """Run the benchmark and describe it as a Section."""
    wrk = find_wrk() if use_wrk else None
    parts = {"gunicorn": gunicorn_version()}
    if wrk:
        parts["wrk"] = wrk_version(wrk)
    runs = measure(duration, rounds, wrk)

    rows = []
    for connections in CONNECTIONS:
        baseline = runs[(WSGIREF, connections)]
        labels = [label for label, conns in runs if conns == connections]
        for label in labels:
            rows.append(
                summary_row(connections, label, runs[(label, connections)], baseline)
            )
    table = markdown_table(
        ["connections", "server", "requests/s", "p50", "p99", "requests/s ÷ wsgiref"],
        rows,
        align="rlrrrr",
    )

    def rate(label: str, connections: int) -> float:
        """The median requests per second of one server at one concurrency."""
        return median([result.per_second for result in runs[(label, connections)]])

    def compared(ours: float, theirs: float) -> str:
        """`8,329 vs 3,140 requests/s (2.65×)`."""
        return f"{per_second(ours)} vs {per_second(theirs)} requests/s " + (
            f"({times(ours / theirs)})"
        )

    ours_1, wsgiref_1 = rate(STEP01, 1), rate(WSGIREF, 1)
    ours_8, wsgiref_8 = rate(STEP01, 8), rate(WSGIREF, 8)
    checks = [
        Check(
            "step 01's server at least as fast as wsgiref with 1 connection",
            ours_1 >= wsgiref_1,
            compared(ours_1, wsgiref_1),
        ),
        Check(
            "step 01's server faster than wsgiref with 8 connections",
            ours_8 > wsgiref_8,
            compared(ours_8, wsgiref_8),
        ),
    ]

    if wrk:
        tool = (
            f"Load from wrk with one thread per connection, {duration:g} s per run; "
            f"each figure is the median of {rounds} runs, the servers taking turns."
        )
    else:
        tool = (
            "wrk is not installed (sudo apt install wrk), so the load comes from the "
            "built-in generator: Python threads, one keep-alive `http.client` "
            f"connection each, {duration:g} s per run; each figure is the median of "
            f"{rounds} runs. Python limits how fast it can send: compare every row "
            "with the ceiling row."
        )
    notes = [
        tool,
        "`wsgiref.simple_server` speaks HTTP/1.0 and serves one request at a time "
        "in a single thread: it closes the connection after every answer, so the "
        "client connects again for each request, and with 8 connections 7 wait "
        "their turn.",
        "gunicorn's sync workers also close the connection after every answer "
        "(keep-alive needs its threaded or async workers); its 2 worker processes "
        "answer two requests at the same time.",
        "Step 01's server keeps connections open (HTTP/1.1) and gives each one a "
        "thread; Python's global interpreter lock lets one thread run Python code "
        "at a time, so the threads mostly take turns.",
        "Step 01's server and wsgiref write an access-log line for every request, "
        "gunicorn none unless asked to; every server's output goes to /dev/null.",
        "gunicorn's gthread workers keep connections open and answer from 8 "
        "threads each; step 01's `--workers 2` row (when its server.py has that "
        "option) forks 2 processes that share the listening socket.",
        "The ceiling row is an asyncio server that answers every request at once, "
        "without WSGI: no server in this table can look faster than that.",
    ]
    notes += failure_notes(runs)
    return Section(
        name="servers",
        title="WSGI servers: step 01 vs wsgiref vs gunicorn (sync and gthread)",
        about=ABOUT,
        tables=[table],
        notes=notes,
        checks=checks,
        parts=parts,
    )
