"""Load generators: send many requests to a server and measure how it keeps up.

Two generators give the same kind of result (`LoadResult`):

- `wrk` (Debian's `wrk` package), written in C: it can send far more requests
  than a Python server can answer, so what it measures is the server;
- `python_load`, built in: threads, each with one keep-alive connection from
  `http.client`. It needs nothing installed, but Python's own speed limits it,
  so its *ceiling* is measured too: the rate it reaches against a server that
  answers instantly (`serve_instantly`). A server that comes close to that
  ceiling may be faster than the numbers can show.

Both keep each connection open between requests (keep-alive, RFC 9112 §9.3);
a server that closes it after every answer makes the client connect again.
"""

import asyncio
import http.client
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from lessons.bench.common import BenchmarkUnavailable, percentile

HOST = "127.0.0.1"  # loopback only, always
MAX_ERRORS_PER_CONNECTION = 50  # a server that keeps failing ends that thread early


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    tool: str  # "wrk" or "python"
    concurrency: int  # connections used at the same time
    requests: int  # requests answered
    seconds: float  # how long the run took
    p50: float  # seconds: half of the requests took less
    p99: float  # seconds: 99 in 100 requests took less
    failures: int  # connection errors and answers that were not 2xx/3xx
    statuses: dict[int, int] = field(default_factory=dict)  # python_load only

    @property
    def per_second(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds


def find_wrk() -> str | None:
    """wrk's path when it is installed (sudo apt install wrk), else None."""
    return shutil.which("wrk")


def wrk_version(wrk: str) -> str:
    """The version wrk reports, e.g. `4.1.0` (from `wrk debian/4.1.0-3+b2 ...`)."""
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+\.\d+\.\d+)", result.stdout + result.stderr)
    return found.group(1) if found else "(unknown version)"


# --------------------------------------------------------------------------
# The built-in generator
# --------------------------------------------------------------------------


@dataclass
class Tally:
    """What one thread of python_load counted."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0


def send_requests(
    port: int, path: str, tally: Tally, count: int | None, deadline: float | None
) -> None:
    """One thread's work: GET `path` again and again on one connection.

    It stops after `count` requests, or at `deadline` (a time.perf_counter value).
    http.client connects again by itself when the server closed the connection.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    sent = 0
    try:
        while (count is None or sent < count) and (
            deadline is None or time.perf_counter() < deadline
        ):
            sent += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()  # the whole body: the request is only done then
            except (OSError, http.client.HTTPException):
                tally.errors += 1
                connection.close()
                if tally.errors >= MAX_ERRORS_PER_CONNECTION:
                    return
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[response.status] += 1
    finally:
        connection.close()


def python_load(
    port: int,
    path: str,
    concurrency: int,
    duration: float | None = None,
    total_requests: int | None = None,
) -> LoadResult:
    """Send GET `path` from `concurrency` threads, for `duration` s or a total count.

    Give exactly one of `duration` and `total_requests`.
    """
    if (duration is None) == (total_requests is None):
        raise ValueError("give either duration or total_requests, not both or none")
    if concurrency < 1:
        raise ValueError("concurrency must be 1 or more")
    tallies = [Tally() for _ in range(concurrency)]
    if total_requests is not None:
        # Share the requests out: 10 over 4 threads is 3, 3, 2, 2.
        counts = [
            total_requests // concurrency + (index < total_requests % concurrency)
            for index in range(concurrency)
        ]
    else:
        counts = [None] * concurrency
    started = time.perf_counter()
    deadline = None if duration is None else started + duration
    threads = [
        threading.Thread(
            target=send_requests, args=(port, path, tally, count, deadline)
        )
        for tally, count in zip(tallies, counts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started

    latencies = [latency for tally in tallies for latency in tally.latencies]
    statuses = Counter()
    for tally in tallies:
        statuses.update(tally.statuses)
    if not latencies:
        raise BenchmarkUnavailable(
            f"no request to 127.0.0.1:{port}{path} got an answer"
        )
    errors = sum(tally.errors for tally in tallies)
    not_ok = sum(
        number for status, number in statuses.items() if not 200 <= status < 400
    )
    return LoadResult(
        tool="python",
        concurrency=concurrency,
        requests=len(latencies),
        seconds=seconds,
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        failures=errors + not_ok,
        statuses=dict(statuses),
    )


# --------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk_seconds(text: str) -> float:
    """wrk's durations such as `241.00us`, `1.84ms` or `2.00s`, in seconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not found:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * UNITS[found.group(2)]


def parse_wrk(output: str, concurrency: int) -> LoadResult:
    """Read what `wrk --latency` printed into a LoadResult."""
    answered = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    if not (answered and p50 and p99):
        raise BenchmarkUnavailable(f"could not read wrk's output:\n{output}")
    failures = 0
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        failures += sum(int(number) for number in errors.groups())
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not_ok:
        failures += int(not_ok.group(1))
    return LoadResult(
        tool="wrk",
        concurrency=concurrency,
        requests=int(answered.group(1)),
        seconds=wrk_seconds(answered.group(2)),
        p50=wrk_seconds(p50.group(1)),
        p99=wrk_seconds(p99.group(1)),
        failures=failures,
    )


def wrk_load(
    wrk: str, port: int, path: str, concurrency: int, duration: float
) -> LoadResult:
    """Run wrk with one thread per connection for `duration` seconds.

    wrk counts in whole seconds, so the duration is rounded (at least 1 s).
    """
    seconds = max(1, round(duration))
    command = [
        wrk,
        "--latency",  # print the latency percentiles
        f"--threads={concurrency}",
        f"--connections={concurrency}",
        f"--duration={seconds}s",
        f"http://{HOST}:{port}{path}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 30
    )
    if result.returncode != 0:
        output = (result.stderr + result.stdout).strip()
        raise BenchmarkUnavailable(
            f"wrk failed (exit code {result.returncode}): {output}"
        )
    return parse_wrk(result.stdout, concurrency)


def load(
    port: int, path: str, concurrency: int, duration: float, wrk: str | None
) -> LoadResult:
    """Load the server with wrk when given its path, otherwise with python_load."""
    if wrk is not None:
        return wrk_load(wrk, port, path, concurrency, duration)
    return python_load(port, path, concurrency, duration=duration)


# --------------------------------------------------------------------------
# The ceiling: a server that answers instantly
# --------------------------------------------------------------------------

INSTANT_ANSWER = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 3\r\n"
    b"\r\n"
    b"ok\n"
)


async def answer_instantly(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer every request on one connection with INSTANT_ANSWER, unread.

    It only waits for the blank line that ends a request's head (RFC 9112 §2.1);
    a GET has no body, so that is the whole request.
    """
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(INSTANT_ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass  # the client hung up (or sent nonsense): this connection is done
    finally:
        writer.close()


def serve_instantly(port: int) -> None:
    """Run the instant server on 127.0.0.1:port until the process is stopped."""

    async def serve() -> None:
        """Listen and hand every connection to answer_instantly."""
        server = await asyncio.start_server(answer_instantly, HOST, port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def instant_server_command(port: int) -> list[str]:
    """The command that runs serve_instantly in a process of its own.

    A process of its own, so it never competes with python_load's threads for
    Python's global interpreter lock.
    """
    program = f"from lessons.bench.load import serve_instantly; serve_instantly({port})"
    return [sys.executable, "-c", program]


def failure_notes(runs: dict) -> list[str]:
    """A note for the page when any request of `runs` (lists of LoadResult) failed."""
    failures = sum(result.failures for results in runs.values() for result in results)
    if not failures:
        return []
    return [f"{failures} requests failed (errors or non-2xx answers)."]
