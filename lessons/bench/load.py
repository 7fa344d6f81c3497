"""Benchmarks `servers` and `pool`: servers taking turns under the same HTTP load.

The load comes from wrk, written in C: it sends more requests than a Python server
can answer, keeping connections open (keep-alive, RFC 9112 §9.3). Without wrk these
benchmarks do not run: a load generator in Python would mostly measure itself.
"""

import contextlib
import functools
import importlib.metadata
import os
import re
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import NamedTuple

from lessons import database, system
from lessons.bench import common
from lessons.bench.pagination import database_version, database_with_books
from lessons.processes import free_port, running
from lessons.production import GUNICORN_COMMAND
from lessons.steps import ROOT

# Each figure is the median of 3 runs of 3 seconds, with 1 and with 8
# connections open at the same time: (rounds, seconds per run, connections).
SIZES = (3, 3, (1, 8))
POOL_SIZE = 5
PER_REQUEST = "a new connection per request"
POOLED = f"a pool of {POOL_SIZE} per worker"
# wsgiref has no command line for serving your own app, so we give it one.
WSGIREF_PROGRAM = """\
import sys
from wsgiref.simple_server import make_server
from app import application
make_server("127.0.0.1", int(sys.argv[1]), application).serve_forever()
"""
# The ceiling: an asyncio server that answers each request at once, no WSGI. A
# GET's head ends in a blank line (RFC 9112 §2.1) and it has no body.
INSTANT_PROGRAM = """\
import asyncio, sys
async def answer(reader, writer):
    try:
        while await reader.readuntil(b"\\r\\n\\r\\n"):
            writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def serve():
    server = await asyncio.start_server(answer, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(serve())
"""
STEP01, WSGIREF = "step 01 `server.py`", "`wsgiref.simple_server`"
INSTANT = "instant answer, no app (the ceiling)"
# sync: gunicorn's default, one request at a time per worker; gthread: a pool
# of threads in each worker, which keeps connections open.
SYNC = ["-m", "gunicorn", "--no-control-socket", "--workers=2", "app:application"]
SYNC += ["--bind=127.0.0.1:{port}"]
GTHREAD = [*SYNC, "--worker-class=gthread", "--threads=8"]
# The servers of `servers`: how Python starts each in step 01's folder, on the
# port that takes the place of {port}.
SERVERS = {
    STEP01: ["server.py", "--port={port}", "app:application"],
    WSGIREF: ["-c", WSGIREF_PROGRAM, "{port}"],
    "gunicorn, 2 sync workers": SYNC,
    "gunicorn, 2 gthread workers × 8 threads": GTHREAD,
    INSTANT: ["-c", INSTANT_PROGRAM, "{port}"],
}


class Load(NamedTuple):
    """One run: requests answered in `seconds`, p50 and p99 latency (half, and
    99 in 100, were faster), failures (errors, answers not 2xx or 3xx)."""

    requests: int
    seconds: float
    p50: float
    p99: float
    failures: int


def wrk_seconds(text: str) -> float:
    """wrk's durations such as `241.00us`, `1.84ms` or `2.00s`, in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(output: str) -> Load:
    """Read what `wrk --latency` printed (failure lines only when some failed)."""
    answered = re.search(r"(\d+) requests in (\S+),", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)[1]
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)[1]
    errors = re.search(r"Socket errors: (.*)", output)  # connect 0, read 2, ...
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failures = sum(map(int, re.findall(r"\d+", errors[1]))) if errors else 0
    failures += int(not_ok[1]) if not_ok else 0
    seconds = [wrk_seconds(text) for text in (answered[2], p50, p99)]
    return Load(int(answered[1]), *seconds, failures)


def wrk_load(wrk: str, port: int, path: str, connections: int, seconds: int):
    """Run wrk, one thread per connection, for `seconds` (wrk counts whole ones)."""
    command = [wrk, "--latency", f"--threads={connections}"]
    command += [f"--connections={connections}", f"--duration={seconds}s"]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def tools() -> tuple[str, dict[str, str]]:
    """wrk's path and the versions for the machine line, or BenchmarkUnavailable."""
    wrk = system.find("wrk")
    if wrk is None:
        raise common.BenchmarkUnavailable(system.missing_message("wrk"))
    try:
        parts = {"gunicorn": importlib.metadata.version("gunicorn")}
    except importlib.metadata.PackageNotFoundError:
        raise common.BenchmarkUnavailable("no gunicorn: run make install") from None
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout
    parts["wrk"] = version.split()[1]  # "wrk 4.2.0 [epoll] Copyright (C) ..."
    return wrk, parts


def race(servers: dict, cwd: Path, path: str, sizes: tuple, wrk: str, count=lambda: 0):
    """Start the servers ({label: (command, port, environment)}), then load each in
    turn, round after round, so a busy moment hits all alike. Returns the runs
    ({(label, connections): [Load]}), the page's note and, per label, how much
    `count()` grew during its runs (by default nothing is counted)."""
    rounds, duration, connections = sizes
    runs, grew = {}, dict.fromkeys(servers, 0)
    with contextlib.ExitStack() as stack:
        for command, port, env in servers.values():
            # Every server logs to /dev/null: a file or a terminal would cost.
            log = Path(os.devnull)
            stack.enter_context(running(command, port, log, cwd=cwd, env=env))
            # One untimed request: what a server does only once is not timed.
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
        for number in range(rounds):
            print(f"  round {number + 1} of {rounds}", flush=True)
            for concurrency in connections:
                for label, (_command, port, _env) in servers.items():
                    before = count()
                    load = wrk_load(wrk, port, path, concurrency, duration)
                    grew[label] += count() - before
                    runs.setdefault((label, concurrency), []).append(load)
    note = f"Load from wrk with one thread per connection, {duration} s per run; "
    note += f"each figure is the median of {rounds} runs."
    failures = sum(load.failures for loads in runs.values() for load in loads)
    if failures:
        note += f" {failures:,} requests failed (errors or non-2xx answers)."
    return runs, note, grew


def rate(runs: dict, label: str, connections: int) -> float:
    """The median requests per second of one server at one concurrency."""
    loads = runs[label, connections]
    return statistics.median(load.requests / load.seconds for load in loads)


def rate_table(runs: dict, server: str, baseline: str, ratio: str) -> str:
    """Requests/s, p50 and p99 (medians) per server and concurrency, in race
    order, with the rate divided by the `baseline` server's."""
    rows = []
    for (label, connections), loads in runs.items():
        speed = rate(runs, label, connections)
        p50 = common.milliseconds(statistics.median(load.p50 for load in loads))
        p99 = common.milliseconds(statistics.median(load.p99 for load in loads))
        versus = common.times(speed / rate(runs, baseline, connections))
        versus = "—" if label == INSTANT else versus  # the ceiling is no contender
        rows.append([str(connections), label, f"{speed:,.0f}", p50, p99, versus])
    headers = ["connections", server, "requests/s", "p50", "p99", ratio]
    return common.table(headers, rows, "rlrrrr")


def server_command(label: str, port: int) -> list[str]:
    """How Python starts the server `label` of SERVERS on `port`."""
    command = [sys.executable, *SERVERS[label]]
    return [part.replace("{port}", str(port)) for part in command]


def servers(sizes: tuple = SIZES) -> common.Result:
    """Step 01's server against wsgiref and gunicorn, serving step 01's app."""
    contenders = {}
    for label in SERVERS:
        port = free_port()
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        contenders[label] = (server_command(label, port), port, environment)
    wrk, parts = tools()
    folder, path = ROOT / "01_raw_wsgi", "/hello?name=bench"
    runs, note, _ = race(contenders, folder, path, sizes, wrk)
    checks = []
    for connections in sizes[2]:
        ours, theirs = rate(runs, STEP01, connections), rate(runs, WSGIREF, connections)
        ratio = common.times(ours / theirs)
        measured = f"{ours:,.0f} vs {theirs:,.0f} requests/s ({ratio})"
        if connections == 1:
            target = "at least as fast as wsgiref with 1 connection"
            passed = ours >= theirs
        else:
            target = f"faster than wsgiref with {connections} connections"
            passed = ours > theirs
        checks.append(common.Check(f"step 01's server {target}", passed, measured))
    found = rate_table(runs, "server", WSGIREF, "requests/s ÷ wsgiref")
    text = common.measured_text([found], [note], parts)
    return common.Result({"servers": text}, checks)


def connections_opened(settings: dict[str, str]) -> int:
    """The server's count of connections made since it started (this one included)."""
    sql = "SHOW GLOBAL STATUS LIKE 'Connections'"
    [(_name, count)] = database.run_admin(settings, sql)
    return int(count)


def pool_result(settings: dict, sizes: tuple, wrk: str, parts: dict) -> common.Result:
    """Step 05 under two gunicorns of 2 workers, without and with a pool of
    database connections, on the database `settings` (books 1 to 1000)."""
    contenders = {}
    for label, pool_size in ((PER_REQUEST, 0), (POOLED, POOL_SIZE)):
        port = free_port()
        # MYSQL_POOL_SIZE always set, so one in a .env file cannot change the
        # race: 0 is step 04's way, a new connection per request.
        env = {**os.environ, **settings, "MYSQL_POOL_SIZE": str(pool_size)}
        env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
        contenders[label] = (GUNICORN_COMMAND, port, env)
    count = functools.partial(connections_opened, settings)
    runs, note, grew = race(contenders, common.STEP05, "/books/500", sizes, wrk, count)
    parts = {**parts, **database_version(settings)}
    counted = []
    for label in contenders:
        # Each reading of the counter opens a connection itself: one per run.
        opened = grew[label] - sizes[0] * len(sizes[2])
        answered = sum(load.requests for c in sizes[2] for load in runs[label, c])
        counted.append(f"{label}: {opened:,} for {answered:,} requests")
    counter = "Database connections opened, from the server's `Connections` counter: "
    notes = [note, counter + "; ".join(counted) + "."]
    found = rate_table(runs, "database connections", PER_REQUEST, "÷ no pool")
    return common.Result({"pool": common.measured_text([found], notes, parts)})


def pool() -> common.Result:
    """A new database connection per request, or a pool: step 05 under gunicorn."""
    wrk, parts = tools()  # before the database: say at once what is missing
    with database_with_books(1000) as (settings, _seconds):
        return pool_result(settings, SIZES, wrk, parts)
