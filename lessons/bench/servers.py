"""Benchmark `servers`: step 01's server.py against wsgiref and gunicorn.

The servers take turns under the same load, round after round; ABOUT and NOTES
below are what the page says about them.
"""

import os
import subprocess
import sys

from lessons.bench.common import Check, Section, per_second, times
from lessons.bench.load import (
    failure_notes,
    instant_server_command,
    load_tools,
    median_rate,
    race,
    rate_table,
)
from lessons.processes import free_port
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
uses in production, with its sync and its threaded (gthread) workers. The table
gives requests per second and latency (p50: half of the requests were faster;
p99: one in a hundred was slower) with 1 and with 8 connections open at the same
time, each kept open between requests (keep-alive)."""

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
NOTES = [
    "`wsgiref.simple_server` speaks HTTP/1.0 and serves one request at a time in a "
    "single thread: it closes the connection after every answer, so the client "
    "connects again for each request, and with 8 connections 7 wait their turn.",
    "gunicorn's sync workers also close the connection after every answer; its 2 "
    "worker processes answer two requests at the same time. Its gthread workers "
    "keep connections open and answer from 8 threads each.",
    "Step 01's server keeps connections open (HTTP/1.1) and gives each one a "
    "thread; Python's global interpreter lock lets one thread run Python code at "
    "a time, so the threads mostly take turns. With `--workers 2` (when its "
    "server.py has that option) it forks 2 processes that share the socket.",
    "Step 01's server and wsgiref write an access-log line for every request, "
    "gunicorn none unless asked to; every server's output goes to /dev/null.",
    "The ceiling row is an asyncio server that answers every request at once, "
    "without WSGI: no server in this table can look faster than that.",
]


def has_workers_option() -> bool:
    """True when step 01's server.py offers its pre-fork mode (--workers N)."""
    done = subprocess.run(
        [sys.executable, "server.py", "--help"],
        cwd=STEP_FOLDER, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return "--workers" in done.stdout


def contenders() -> dict[str, tuple[list[str], int, dict[str, str]]]:
    """Each server's label -> (the command that starts it, its port, environment)."""
    python, app = sys.executable, "app:application"
    ports = {label: free_port() for label in (STEP01, WSGIREF, GUNICORN, GTHREAD)}
    gunicorn = [python, "-m", "gunicorn", "--no-control-socket", "--workers=2"]
    commands = {
        STEP01: [python, "server.py", f"--port={ports[STEP01]}", app],
        WSGIREF: [python, "-c", WSGIREF_PROGRAM, str(ports[WSGIREF])],
        # sync: gunicorn's default, one request at a time per worker.
        GUNICORN: [*gunicorn, f"--bind=127.0.0.1:{ports[GUNICORN]}", app],
        # gthread: a pool of threads in each worker, keep-alive connections.
        GTHREAD: [*gunicorn, f"--bind=127.0.0.1:{ports[GTHREAD]}",
                  "--worker-class=gthread", "--threads=8", app],
    }  # fmt: skip
    if has_workers_option():
        ports[STEP01_WORKERS] = free_port()
        port = ports[STEP01_WORKERS]
        commands[STEP01_WORKERS] = [python, "server.py", f"--port={port}"]
        commands[STEP01_WORKERS] += ["--workers=2", app]
    ports[INSTANT] = free_port()
    commands[INSTANT] = instant_server_command(ports[INSTANT])
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return {label: (commands[label], ports[label], environment) for label in commands}


def run(
    duration: float = DURATION, rounds: int = ROUNDS, use_wrk: bool = True
) -> Section:
    """Run the benchmark and describe it as a Section."""
    wrk, parts = load_tools(use_wrk)
    runs, _ = race(contenders(), STEP_FOLDER, PATH, CONNECTIONS, rounds, duration, wrk)
    table = rate_table(runs, "server", WSGIREF, "requests/s ÷ wsgiref", INSTANT)
    checks = []
    for connections, target in ((1, "at least as fast as"), (8, "faster than")):
        ours, theirs = (
            median_rate(runs, STEP01, connections),
            median_rate(runs, WSGIREF, connections),
        )
        measured = f"{per_second(ours)} vs {per_second(theirs)} requests/s "
        passed = ours >= theirs if connections == 1 else ours > theirs
        plural = "connection" if connections == 1 else "connections"
        checks.append(Check(
            f"step 01's server {target} wsgiref with {connections} {plural}",
            passed, measured + f"({times(ours / theirs)})",
        ))  # fmt: skip
    if wrk:
        tool = "Load from wrk with one thread per connection"
    else:
        tool = (
            "wrk is not installed (sudo apt install wrk), so the load comes from "
            "the built-in generator: Python threads, one keep-alive `http.client` "
            "connection each (Python limits how fast it sends: compare every row "
            "with the ceiling row)"
        )
    tool += (
        f", {duration:g} s per run; each figure is the median of {rounds} runs, "
        "the servers taking turns."
    )
    return Section(
        "servers", "WSGI servers: step 01 vs wsgiref vs gunicorn", ABOUT, [table],
        [tool, *NOTES, *failure_notes(runs)], checks, parts,
    )  # fmt: skip
