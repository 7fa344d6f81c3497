"""`lessons test`: every step's tests, each step in a Python process of its own.

Why one process per step: every step has its own `app.py`, and Python imports a
module once per process, so two steps in one pytest run would share the first
`app` imported. The steps run side by side (one more process than CPUs), on
one throwaway database server that gives each test its own database; each
step's output is shown whole when it ends, then a line per step and a total.
A step's tests marked `slow` (mostly waiting on nginx's timers) run in a second
process of that step, started first and beside the others, so the wait
overlaps other work instead of taking one of the lanes.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lessons import processes, settings, system
from lessons.pytest_plugin import (
    SERVER_FOLDER_PREFIX,
    SHARED_SERVER,
    server_data_parent,
)
from lessons.steps import ROOT, Step
from lessons.throwaway import DatabaseUnavailable, temporary_server

# The counts in pytest's closing line, e.g. "== 41 passed, 2 skipped in 3.1s ==".
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
PROGRESS_EVERY = 5.0  # seconds between "still running" lines
TIMES = ROOT / ".lessons" / "test-times.json"  # each folder's last time, in seconds
PYCACHE = ROOT / ".lessons" / "pycache"  # the tests' bytecode, when yours is off


@dataclass
class Result:
    """What one pytest run reported; exit code 0 means all passed (skips allowed)."""

    name: str
    exit_code: int
    seconds: float
    counts: Counter


def closing_counts(output: str) -> Counter:
    """The counts from the last line of pytest's output that has any."""
    for line in reversed(output.splitlines()):
        counts = Counter()
        for number, word in COUNT.findall(line):
            counts["errors" if word.startswith("error") else word] += int(number)
        if counts:
            return counts
    return Counter()


def run_pytest(name: str, folder: Path, pytest_args: list[str], env: dict, children):
    """Run pytest on one folder; print its whole output when it is done."""
    # Relative paths read better in the output; a folder elsewhere stays whole.
    target = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    started = time.monotonic()
    # Started like every server: it dies with `lessons test`, even a killed one.
    process = processes.start(
        [sys.executable, "-m", "pytest", str(target), *pytest_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    children.append(process)
    output = process.communicate()[0]
    processes.stop(process)  # forget the note that it was started
    print(f"\n=== {name} ===\n{output}", end="", flush=True)
    seconds = time.monotonic() - started
    return Result(name, process.returncode, seconds, closing_counts(output))


def has_slow_tests(step: Step) -> bool:
    """True when one of the step's test files marks tests `slow`."""
    files = (step.path / "tests").glob("test_*.py")
    return any("pytest.mark.slow" in path.read_text(encoding="utf-8") for path in files)


def pytest_runs(steps: list[Step], include_course: bool, extra_args: list[str]):
    """(name, folder, pytest arguments) of each pytest process to start.

    A whole step is one process, or two when it has slow tests (a run with your
    own pytest options stays one, so `-k` never leaves one of them empty). The
    course's own tests run a process per file, side by side.
    """
    runs = []
    for step in steps:
        if extra_args or not has_slow_tests(step):
            runs.append((step.name, step.path, extra_args))
        else:
            runs.append((step.name, step.path, ["-m", "not slow"]))
            runs.append((f"{step.name} (slow)", step.path, ["-m", "slow"]))
    if include_course:
        for path in sorted((ROOT / "tests").glob("test_*.py")):
            runs.append((path.name, path, extra_args))
    return runs


@contextlib.contextmanager
def shared_database(steps: list[Step]):
    """One throwaway server for every step process (named in their environment)."""
    needed = any("mariadb" in step.needs for step in steps)
    if not needed or settings.configured(ROOT) or not system.find("mariadb"):
        yield {}  # no database, the learner's own, or the tests say what is missing
        return
    print("Starting one throwaway database server for the tests ...", flush=True)
    # In memory when there is room (see server_data_parent): every test
    # creates and drops a database, and a disk makes each of those wait.
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                temporary_server(server_data_parent(), SERVER_FOLDER_PREFIX)
            )
        except DatabaseUnavailable as problem:
            print(f"note: {problem}", flush=True)  # the tests say what to do
            yield {}
            return
        yield {SHARED_SERVER: str(server.data_dir)}


def merge_results(results: list[Result]) -> list[Result]:
    """A line per step, in order (its slow process counted in), then one
    `tests` line for the course's test files."""
    merged: dict[str, Result] = {}
    for result in sorted(results, key=lambda result: result.name):
        name = result.name.removesuffix(" (slow)")
        name = "tests" if name.endswith(".py") else name
        line = merged.setdefault(name, Result(name, 0, 0.0, Counter()))
        line.exit_code = max(line.exit_code, result.exit_code)
        line.seconds += result.seconds
        line.counts += result.counts
    return sorted(merged.values(), key=lambda line: (line.name == "tests", line.name))


def report_progress(running: dict[str, float], finished: threading.Event) -> None:
    """Every few seconds, say which steps are still running and for how long."""
    while not finished.wait(PROGRESS_EVERY):
        now = time.monotonic()
        started = list(running.items())  # a copy: the threads add and remove
        busy = ", ".join(f"{name} ({now - t:.0f} s)" for name, t in started)
        if busy:
            print(f"... still running: {busy}", flush=True)


def run_suite(
    steps: list[Step], include_course: bool, extra_args: list[str], jobs: int = 3
) -> int:
    """Run the steps' tests (and the course's own tests); 0 when all passed."""
    needed = {part for step in steps for part in step.needs}
    needed |= {"chromium"} if include_course else set()  # the docs tests use it
    for key in sorted(needed):
        if system.find(key) is None:
            print(f"note: {system.missing_message(key)}")
    runs = pytest_runs(steps, include_course, extra_args)
    # The slowest first (as last time), so the lanes end at about the same time.
    last = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    runs.sort(key=lambda run: -last.get(run[0], 0))
    # Slow tests mostly wait, so they start at once, beside the lanes (unless
    # you asked for one process at a time).
    waiting = [run for run in runs if run[0].endswith(" (slow)") and jobs > 1]
    runs = [run for run in runs if run not in waiting]
    running: dict[str, float] = {}
    children: list = []  # the pytest processes, to stop on Ctrl-C
    finished = threading.Event()

    def one(run: tuple[str, Path, list[str]]) -> Result:
        name, folder, pytest_args = run
        running[name] = time.monotonic()
        # One write with its newline, so two threads' lines never run together.
        print(f"started {name}\n", end="", flush=True)
        try:
            return run_pytest(name, folder, pytest_args, env, children)
        finally:
            running.pop(name, None)

    started = time.monotonic()
    with shared_database(steps) as extra_env:
        env = {**os.environ, **extra_env}
        if env.pop("PYTHONDONTWRITEBYTECODE", None):
            # Writing bytecode is off here, so every test process would compile
            # every module again; they keep it in .lessons/ instead, out of the
            # source folders (what is off is writing a __pycache__ beside them).
            env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
        threading.Thread(target=report_progress, args=(running, finished)).start()
        beside = ThreadPoolExecutor(max_workers=max(1, len(waiting)))
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            slow = [beside.submit(one, run) for run in waiting]
            results = list(pool.map(one, runs)) + [run.result() for run in slow]
        except KeyboardInterrupt:
            for child in children:  # in sessions of their own: Ctrl-C missed them
                processes.stop(child)
            raise
        finally:
            finished.set()
            pool.shutdown()
            beside.shutdown()
    with contextlib.suppress(OSError):
        TIMES.parent.mkdir(exist_ok=True)
        TIMES.write_text(json.dumps({**last, **{r.name: r.seconds for r in results}}))

    print("\n=== summary ===")
    totals = Counter()
    results = merge_results(results)
    for result in results:
        counts = ", ".join(f"{n} {word}" for word, n in result.counts.items())
        verdict = "ok"
        if result.exit_code != 0:
            verdict = f"FAILED (pytest exit {result.exit_code})"
        counts = counts or "no tests"
        print(f"{result.name:<26} {verdict:<8} {counts:<36} {result.seconds:6.1f} s")
        totals += result.counts
    # The closing line, in the plain form CI reads: "N passed, N failed, N skipped".
    print(
        f"total: {totals['passed']} passed, {totals['failed'] + totals['errors']} "
        f"failed, {totals['skipped']} skipped"
    )
    print(f"wall time: {time.monotonic() - started:.1f} s")
    broken = [result.name for result in results if result.exit_code != 0]
    if broken:
        print(f"failing: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0
