"""Benchmarks `servers` and `pool`: servers taking turns under the same HTTP load.

The load comes from wrk (written in C, it sends far more requests than a Python
server can answer) or, without it, from Python threads, which Python slows
down: the instant server of `servers` shows that ceiling. Both keep each
connection open between requests (keep-alive, RFC 9112 §9.3).
"""

import contextlib
import http.client
import importlib.metadata
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from lessons import database, system
from lessons.bench import common
from lessons.bench.pagination import database_version, database_with_books
from lessons.processes import free_port, running
from lessons.production import GUNICORN_COMMAND
from lessons.steps import ROOT

CONNECTIONS = (1, 8)  # connections open at the same time
ROUNDS = 3  # each figure is the median of this many runs
DURATION = 3.0  # seconds per run
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
STEP01 = "step 01 `server.py`"
WSGIREF = "`wsgiref.simple_server`"
INSTANT = "instant answer, no app (the ceiling)"
GUNICORN = ["-m", "gunicorn", "--no-control-socket", "--workers=2"]
# Each server of `servers` and how Python starts it in step 01's folder, on
# the port that takes the place of {port}.
SERVERS = {
    STEP01: ["server.py", "--port={port}", "app:application"],
    WSGIREF: ["-c", WSGIREF_PROGRAM, "{port}"],
    # sync: gunicorn's default, one request at a time per worker.
    "gunicorn, 2 sync workers": [
        *GUNICORN,
        "--bind=127.0.0.1:{port}",
        "app:application",
    ],
    # gthread: a pool of threads in each worker, keep-alive connections.
    "gunicorn, 2 gthread workers × 8 threads": [
        *GUNICORN,
        "--bind=127.0.0.1:{port}",
        "--worker-class=gthread",
        "--threads=8",
        "app:application",
    ],
    INSTANT: ["-c", INSTANT_PROGRAM, "{port}"],
}
POOL_SIZE = 5
PER_REQUEST = "a new connection per request"
POOLED = f"a pool of {POOL_SIZE} per worker"


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
    answered = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)[1]
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)[1]
    errors = re.search(r"Socket errors: (.*)", output)  # connect 0, read 2, ...
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failures = sum(map(int, re.findall(r"\d+", errors[1]))) if errors else 0
    failures += int(not_ok[1]) if not_ok else 0
    seconds = wrk_seconds(answered[2])
    return Load(int(answered[1]), seconds, wrk_seconds(p50), wrk_seconds(p99), failures)


def wrk_load(wrk: str, port: int, path: str, connections: int, duration: float):
    """Run wrk, one thread per connection, for `duration` (whole) seconds."""
    seconds = max(1, round(duration))  # wrk counts in whole seconds
    command = [wrk, "--latency", f"--threads={connections}"]
    command += [f"--connections={connections}", f"--duration={seconds}s"]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    )
    return parse_wrk(done.stdout)


def python_load(port: int, path: str, connections: int, duration: float) -> Load:
    """GET `path` for `duration` seconds from a thread per keep-alive connection."""
    latencies, failures = [], []
    deadline = time.perf_counter() + duration

    def one_connection() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()  # the request is done when its body is read
            except (OSError, http.client.HTTPException):
                failures.append(path)
                connection.close()  # the next request connects again
                continue
            latencies.append(time.perf_counter() - started)
            if not 200 <= response.status < 400:
                failures.append(path)
        connection.close()

    threads = [threading.Thread(target=one_connection) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()  # the nearest rank: p99 of 200 latencies is the 198th
    p99 = latencies[-(-len(latencies) * 99 // 100) - 1]
    p50 = latencies[(len(latencies) - 1) // 2]
    return Load(len(latencies), duration, p50, p99, len(failures))


def race(servers: dict, cwd: Path, path: str, rounds, duration, use_wrk, count=None):
    """Start every server (label -> command, port, environment), then load each
    in turn, round after round, so a busy moment hits them alike. Returns the
    runs, the versions and the load's note for the page, and per server how
    much `count()` grew during its runs."""
    wrk = system.find("wrk") if use_wrk else None
    try:
        parts = {"gunicorn": importlib.metadata.version("gunicorn")}
    except importlib.metadata.PackageNotFoundError:
        raise common.BenchmarkUnavailable("no gunicorn: run make install") from None
    runs, grew = {}, dict.fromkeys(servers, 0)  # runs: (label, connections) -> [Load]
    count = count or (lambda: 0)
    with contextlib.ExitStack() as stack:
        for command, port, env in servers.values():
            # Every server logs to /dev/null: a file or a terminal would cost.
            log = Path(os.devnull)
            stack.enter_context(running(command, port, log, cwd=cwd, env=env))
        for _command, port, _env in servers.values():  # imports, first connections
            python_load(port, path, connections=2, duration=0.1)
        for number in range(rounds):
            print(f"  round {number + 1} of {rounds}", flush=True)
            for connections in CONNECTIONS:
                for label, (_command, port, _env) in servers.items():
                    before = count()
                    if wrk:
                        load = wrk_load(wrk, port, path, connections, duration)
                    else:
                        load = python_load(port, path, connections, duration)
                    grew[label] += count() - before
                    runs.setdefault((label, connections), []).append(load)
    if wrk:
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True)
        parts["wrk"] = version.stdout.split()[1]  # "wrk 4.2.0 [epoll] Copyright..."
        note = "Load from wrk with one thread per connection"
    else:
        note = (
            "wrk is not installed (sudo apt install wrk), so the load comes from "
            "Python threads, one keep-alive `http.client` connection each (Python "
            "limits how fast they send: compare every row with the ceiling row)"
        )
    note += f", {duration:g} s per run; each figure is the median of {rounds} runs."
    failures = sum(load.failures for loads in runs.values() for load in loads)
    if failures:
        note += f" {failures:,} requests failed (errors or non-2xx answers)."
    return runs, parts, note, grew


def rate(runs: dict, label: str, connections: int) -> float:
    """The median requests per second of one server at one concurrency."""
    loads = runs[label, connections]
    return statistics.median(load.requests / load.seconds for load in loads)


def rate_table(runs: dict, server: str, baseline: str, ratio: str) -> str:
    """Requests/s, p50 and p99 (medians) per server and concurrency, in race
    order, with the rate divided by the `baseline` server's."""
    rows = []
    for (label, connections), loads in runs.items():
        p50 = common.milliseconds(statistics.median(load.p50 for load in loads))
        p99 = common.milliseconds(statistics.median(load.p99 for load in loads))
        versus = rate(runs, label, connections) / rate(runs, baseline, connections)
        versus = "—" if label == INSTANT else common.times(versus)
        speed = f"{rate(runs, label, connections):,.0f}"
        rows.append([str(connections), label, speed, p50, p99, versus])
    headers = ["connections", server, "requests/s", "p50", "p99", ratio]
    return common.table(headers, rows, "rlrrrr")


def servers(duration=DURATION, rounds=ROUNDS, use_wrk=True) -> common.Result:
    """Step 01's server against wsgiref and gunicorn, serving step 01's app."""
    contenders = {}
    for label, arguments in SERVERS.items():
        port = free_port()
        command = [arg.replace("{port}", str(port)) for arg in arguments]
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        contenders[label] = ([sys.executable, *command], port, environment)
    folder = ROOT / "01_raw_wsgi"
    path = "/hello?name=bench"
    runs, parts, note, _ = race(contenders, folder, path, rounds, duration, use_wrk)
    checks = []
    for connections, claim in ((1, "at least as fast as"), (8, "faster than")):
        ours, theirs = rate(runs, STEP01, connections), rate(runs, WSGIREF, connections)
        passed = ours >= theirs if connections == 1 else ours > theirs
        ratio = common.times(ours / theirs)
        measured = f"{ours:,.0f} vs {theirs:,.0f} requests/s ({ratio})"
        plural = "connection" if connections == 1 else "connections"
        target = f"step 01's server {claim} wsgiref with {connections} {plural}"
        checks.append(common.Check(target, passed, measured))
    found = rate_table(runs, "server", WSGIREF, "requests/s ÷ wsgiref")
    return common.Result(
        {"servers": common.measured_text([found], [note], parts)}, checks
    )


def connections_opened(settings: dict[str, str]) -> int:
    """The server's count of connections made since it started (this one included)."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Connections'")
        return int(cursor.fetchone()[1])


def pool_race(settings: dict[str, str], rounds, duration, use_wrk) -> tuple:
    """Step 05 under two gunicorns of 2 workers, without and with a pool: the
    runs, versions and note of race(), and the database connections each opened."""
    contenders = {}
    for label, pool_size in ((PER_REQUEST, 0), (POOLED, POOL_SIZE)):
        port = free_port()
        # MYSQL_POOL_SIZE always set, so one in a .env file cannot change the
        # race: 0 is step 04's way, a new connection per request.
        env = {**os.environ, **settings, "MYSQL_POOL_SIZE": str(pool_size)}
        env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
        contenders[label] = (GUNICORN_COMMAND, port, env)
    runs, parts, note, grew = race(
        contenders,
        common.STEP05,
        "/books/500",
        rounds,
        duration,
        use_wrk,
        count=lambda: connections_opened(settings),
    )
    # Each reading of the counter opens a connection itself: one per run.
    opened = {label: grew[label] - rounds * len(CONNECTIONS) for label in grew}
    return runs, parts, note, opened


def pool_result(settings: dict[str, str], rounds, duration, use_wrk) -> common.Result:
    """The `pool` benchmark on the database `settings` (books 1 to 1000 in it)."""
    runs, parts, note, opened = pool_race(settings, rounds, duration, use_wrk)
    parts.update(database_version(settings))
    counted = []
    for label, count in opened.items():
        answered = sum(load.requests for c in CONNECTIONS for load in runs[label, c])
        counted.append(f"{label}: {count:,} for {answered:,} requests")
    opened_note = "Database connections opened, from the server's `Connections` "
    opened_note += f"counter: {'; '.join(counted)}."
    found = rate_table(runs, "database connections", PER_REQUEST, "÷ no pool")
    text = common.measured_text([found], [note, opened_note], parts)
    return common.Result({"pool": text})


def pool(duration=DURATION, rounds=ROUNDS, use_wrk=True) -> common.Result:
    """A new database connection per request, or a pool: step 05 under gunicorn."""
    with database_with_books(1000) as (settings, _seconds):
        return pool_result(settings, rounds, duration, use_wrk)
