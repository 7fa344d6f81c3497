"""Load generators, and the race: servers taking turns under the same load.

`wrk` (written in C) sends far more requests than a Python server can answer,
so it measures the server; the built-in `python_load` (threads, one keep-alive
`http.client` connection each) needs nothing installed, but Python limits it,
so the `servers` table also shows a server that answers instantly: the ceiling.
Both keep each connection open between requests (keep-alive, RFC 9112 §9.3).
"""

import asyncio
import contextlib
import http.client
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lessons import system
from lessons.bench.common import (
    BenchmarkUnavailable,
    gunicorn_version,
    markdown_table,
    milliseconds,
    per_second,
    percentile,
    times,
)
from lessons.processes import running

MAX_ERRORS_PER_CONNECTION = 50  # a server that keeps failing ends that thread early
Runs = dict[tuple[str, int], list["LoadResult"]]  # (server, connections) -> runs


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured (seconds)."""

    requests: int  # requests answered
    seconds: float  # how long the run took
    p50: float  # half of the requests took less
    p99: float  # 99 in 100 requests took less
    failures: int  # connection errors and answers that were not 2xx/3xx
    statuses: dict[int, int] = field(default_factory=dict)  # python_load only

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def python_load(
    port: int,
    path: str,
    concurrency: int,
    duration: float | None = None,
    total_requests: int | None = None,
) -> LoadResult:
    """GET `path` from `concurrency` threads, for `duration` s or a total count."""
    if (duration is None) == (total_requests is None):
        raise ValueError("give either duration or total_requests, not both or none")
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = [0]
    deadline = time.perf_counter() + (duration or 0)

    def send(count: int | None) -> None:
        """One thread: GET on one connection, `count` times or until the deadline."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sent = 0
        with contextlib.closing(connection):
            while sent < count if count is not None else time.perf_counter() < deadline:
                sent += 1
                started = time.perf_counter()
                try:
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()  # the request is done when the body is read
                except (OSError, http.client.HTTPException):
                    errors[0] += 1
                    connection.close()
                    if errors[0] >= MAX_ERRORS_PER_CONNECTION * concurrency:
                        return
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status] += 1

    counts: list[int | None] = [None] * concurrency  # None: until the deadline
    if total_requests is not None:  # share them out: 10 over 4 threads is 3, 3, 2, 2
        share, rest = divmod(total_requests, concurrency)
        counts = [share + (i < rest) for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as threads:
        list(threads.map(send, counts))
    seconds = time.perf_counter() - started
    if not latencies:
        raise BenchmarkUnavailable(
            f"no request to 127.0.0.1:{port}{path} got an answer"
        )
    not_ok = sum(n for status, n in statuses.items() if not 200 <= status < 400)
    return LoadResult(
        len(latencies), seconds, percentile(latencies, 50), percentile(latencies, 99),
        errors[0] + not_ok, dict(statuses),
    )  # fmt: skip


def load_tools(use_wrk: bool) -> tuple[str | None, dict[str, str]]:
    """wrk's path (None: not installed, or not wanted) and the versions to report."""
    wrk = system.find("wrk") if use_wrk else None
    parts = {"gunicorn": gunicorn_version()}
    if wrk:
        done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        found = re.search(r"(\d+\.\d+\.\d+)", done.stdout + done.stderr)
        parts["wrk"] = found.group(1) if found else "(unknown version)"
    return wrk, parts


def wrk_seconds(text: str) -> float:
    """wrk's durations such as `241.00us`, `1.84ms` or `2.00s`, in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(output: str) -> LoadResult:
    """Read what `wrk --latency` printed into a LoadResult."""
    answered = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    if not (answered and p50 and p99):
        raise BenchmarkUnavailable(f"could not read wrk's output:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                       r"timeout (\d+)", output)  # fmt: skip
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failures = sum(map(int, errors.groups())) if errors else 0
    failures += int(not_ok.group(1)) if not_ok else 0
    return LoadResult(
        int(answered.group(1)), wrk_seconds(answered.group(2)),
        wrk_seconds(p50.group(1)), wrk_seconds(p99.group(1)), failures,
    )  # fmt: skip


def wrk_load(wrk: str, port: int, path: str, concurrency: int, duration: float):
    """Run wrk, one thread per connection, for `duration` (whole) seconds."""
    seconds = max(1, round(duration))
    command = [wrk, "--latency", f"--threads={concurrency}"]
    command += [f"--connections={concurrency}", f"--duration={seconds}s"]
    done = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=False, timeout=seconds + 30,
    )  # fmt: skip
    if done.returncode != 0:
        output = (done.stderr + done.stdout).strip()
        raise BenchmarkUnavailable(
            f"wrk failed (exit code {done.returncode}): {output}"
        )
    return parse_wrk(done.stdout)


def race(
    servers: dict[str, tuple[list[str], int, dict[str, str]]],
    cwd: Path,
    path: str,
    connections: tuple[int, ...],
    rounds: int,
    duration: float,
    wrk: str | None,
    counter: Callable[[], int] | None = None,
) -> tuple[Runs, dict[str, int]]:
    """Start every server (label -> command, port, environment), then load each in
    turn, round after round, so a slow moment of the machine hits them alike.

    Returns the runs and, per server, how much `counter()` grew during its runs.
    Every server logs to the same place, /dev/null: a file or a terminal costs.
    """
    runs: Runs = {}
    grew = dict.fromkeys(servers, 0)
    with contextlib.ExitStack() as started:
        for command, port, env in servers.values():
            log = Path(os.devnull)
            started.enter_context(running(command, port, log=log, cwd=cwd, env=env))
        for _command, port, _env in servers.values():  # imports, first connections
            python_load(port, path, concurrency=4, total_requests=40)
        for round_number in range(rounds):
            print(f"  round {round_number + 1} of {rounds}", flush=True)
            for count in connections:
                for label, (_command, port, _env) in servers.items():
                    before = counter() if counter else 0
                    if wrk is not None:
                        result = wrk_load(wrk, port, path, count, duration)
                    else:
                        result = python_load(port, path, count, duration=duration)
                    grew[label] += counter() - before if counter else 0
                    runs.setdefault((label, count), []).append(result)
    return runs, grew


def median_rate(runs: Runs, label: str, connections: int) -> float:
    return statistics.median(run.per_second for run in runs[(label, connections)])


def rate_table(
    runs: Runs, server: str, baseline: str, ratio_header: str, no_ratio: str = ""
) -> str:
    """Requests/s, p50 and p99 (medians) per server and concurrency, in race
    order, with the rate divided by the `baseline` server's."""
    rows = []
    for (label, count), results in runs.items():
        rate = median_rate(runs, label, count)
        ratio = times(rate / median_rate(runs, baseline, count))
        rows.append([
            str(count), label, per_second(rate),
            milliseconds(statistics.median(run.p50 for run in results)),
            milliseconds(statistics.median(run.p99 for run in results)),
            "—" if label == no_ratio else ratio,
        ])  # fmt: skip
    headers = ["connections", server, "requests/s", "p50", "p99"]
    return markdown_table([*headers, ratio_header], rows, "rlrrrr")


def failure_notes(runs: Runs) -> list[str]:
    failures = sum(result.failures for results in runs.values() for result in results)
    if not failures:
        return []
    return [f"{failures} requests failed (errors or non-2xx answers)."]


# The ceiling: an asyncio server that answers every request at once, no WSGI.
INSTANT_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 3\r\n\r\nok\n"
)


async def answer_instantly(reader: asyncio.StreamReader, writer) -> None:
    """Answer each request on one connection, unread: a GET's head ends in a
    blank line (RFC 9112 §2.1) and it has no body."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError,
                             asyncio.LimitOverrunError):  # fmt: skip
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(INSTANT_ANSWER)
            await writer.drain()
    writer.close()


def serve_instantly(port: int) -> None:
    """Run the instant server on 127.0.0.1:port until the process is stopped."""

    async def serve() -> None:
        server = await asyncio.start_server(answer_instantly, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def instant_server_command(port: int) -> list[str]:
    """serve_instantly in a process of its own (no GIL shared with python_load)."""
    program = f"from lessons.bench.load import serve_instantly; serve_instantly({port})"
    return [sys.executable, "-c", program]
