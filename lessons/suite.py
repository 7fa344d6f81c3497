"""`lessons test`: every step's tests, each step in a Python process of its own.

Why one process per step: every step has its own `app.py`, and Python imports a
module once per process, so two steps in one pytest run would share the first
`app` imported. The steps run side by side (two at a time by default), on one
throwaway database server that gives each test its own database; each step's
output is shown whole when it ends, then a line per step and a total.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lessons import processes, settings, system
from lessons.pytest_plugin import SHARED_SERVER
from lessons.steps import ROOT, Step
from lessons.throwaway import DatabaseUnavailable, ThrowawayServer

# The counts in pytest's closing line, e.g. "== 41 passed, 2 skipped in 3.1s ==".
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
PROGRESS_EVERY = 5.0  # seconds between "still running" lines
TIMES = ROOT / ".lessons" / "test-times.json"  # each folder's last time, in seconds


@dataclass
class Result:
    """What one pytest run reported."""

    name: str
    exit_code: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """pytest exits 0 when everything passed (skips allowed)."""
        return self.exit_code == 0


def closing_counts(output: str) -> dict[str, int]:
    """Read the counts from the last line of pytest's output that has any."""
    for line in reversed(output.splitlines()):
        found = COUNT.findall(line)
        if found:
            counts: dict[str, int] = {}
            for number, word in found:
                word = "errors" if word.startswith("error") else word
                counts[word] = counts.get(word, 0) + int(number)
            return counts
    return {}


def run_pytest(
    folder: Path, extra_args: list[str], env: dict[str, str], children: list
) -> Result:
    """Run pytest on one folder; print its whole output when it is done."""
    # Relative paths read better in the output; a folder elsewhere stays whole.
    target = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    command = [sys.executable, "-m", "pytest", str(target), *extra_args]
    started = time.monotonic()
    # Started like every server: it dies with `lessons test`, even a killed one.
    process = processes.start(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    children.append(process)
    output = process.communicate()[0]
    processes.stop(process)  # forget the note that it was started
    print(f"\n=== {folder.name} ===\n{output}", end="", flush=True)
    seconds = time.monotonic() - started
    return Result(folder.name, process.returncode, seconds, closing_counts(output))


def describe(result: Result) -> str:
    """One line for the summary, for example `01_raw_wsgi  ok  41 passed  3.2 s`."""
    counts = ", ".join(f"{n} {word}" for word, n in result.counts.items()) or "no tests"
    verdict = "ok" if result.ok else f"FAILED (pytest exit {result.exit_code})"
    return f"{result.name:<26} {verdict:<8} {counts:<36} {result.seconds:6.1f} s"


@contextlib.contextmanager
def shared_database(steps: list[Step]):
    """One throwaway server for every step process (named in their environment)."""
    needed = any("mariadb" in step.needs for step in steps)
    if (
        not needed
        or settings.configured(ROOT) is not None
        or not system.find("mariadb")
    ):
        yield {}  # no database, the learner's own, or the tests say what is missing
        return
    with tempfile.TemporaryDirectory(prefix="lessons-test-mysql-") as folder:
        print("Starting one throwaway database server for the tests ...", flush=True)
        server = ThrowawayServer(Path(folder))
        try:
            server.start()
        except DatabaseUnavailable as problem:
            print(f"note: {problem}", flush=True)
            yield {}
            return
        try:
            yield {SHARED_SERVER: str(server.data_dir)}
        finally:
            server.stop()


def merge_course_results(results: list[Result]) -> list[Result]:
    """One `tests` line for the course's test files, after the steps in order."""
    steps = [result for result in results if not result.name.endswith(".py")]
    course = [result for result in results if result.name.endswith(".py")]
    if not course:
        return sorted(steps, key=lambda result: result.name)
    counts: dict[str, int] = {}
    for result in course:
        for word, number in result.counts.items():
            counts[word] = counts.get(word, 0) + number
    code = max(result.exit_code for result in course)
    seconds = sum(result.seconds for result in course)
    merged = Result("tests", code, seconds, counts)
    return [*sorted(steps, key=lambda result: result.name), merged]


def report_progress(running: dict[str, float], finished: threading.Event) -> None:
    """Every few seconds, say which steps are still running and for how long."""
    while not finished.wait(PROGRESS_EVERY):
        now = time.monotonic()
        busy = ", ".join(
            f"{name} ({now - since:.0f} s)" for name, since in running.items()
        )
        if busy:
            print(f"... still running: {busy}", flush=True)


def run_suite(
    steps: list[Step], include_course: bool, extra_args: list[str], jobs: int = 2
) -> int:
    """Run the steps' tests (and the course's own tests); 0 when all passed."""
    needed = {part for step in steps for part in step.needs}
    needed |= {"chromium"} if include_course else set()  # the docs tests use it
    for key in sorted(needed):
        if system.find(key) is None:
            print(f"note: {system.missing_message(key)}")
    folders = [step.path for step in steps]
    if include_course:  # the course's own tests: a process per file, side by side
        folders += sorted((ROOT / "tests").glob("test_*.py"))
    # The slowest first (as last time), so the lanes end at about the same time.
    last = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    folders.sort(key=lambda folder: -last.get(folder.name, 0))
    running: dict[str, float] = {}
    children: list = []  # the pytest processes, to stop on Ctrl-C
    finished = threading.Event()

    def one(folder: Path, env: dict[str, str]) -> Result:
        """Run one folder, noting it as running meanwhile."""
        running[folder.name] = time.monotonic()
        print(f"started {folder.name}", flush=True)
        try:
            return run_pytest(folder, extra_args, env, children)
        finally:
            running.pop(folder.name, None)

    started = time.monotonic()
    with shared_database(steps) as extra_env:
        env = {**os.environ, **extra_env}
        threading.Thread(target=report_progress, args=(running, finished)).start()
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            results = list(pool.map(lambda folder: one(folder, env), folders))
        except KeyboardInterrupt:
            for child in children:  # in sessions of their own: Ctrl-C missed them
                processes.stop(child)
            raise
        finally:
            finished.set()
            pool.shutdown()
    with contextlib.suppress(OSError):
        TIMES.parent.mkdir(exist_ok=True)
        TIMES.write_text(json.dumps({**last, **{r.name: r.seconds for r in results}}))
    results = merge_course_results(results)

    print("\n=== summary ===")
    totals: dict[str, int] = {}
    for result in results:
        print(describe(result))
        for word, number in result.counts.items():
            totals[word] = totals.get(word, 0) + number
    failed = totals.get("failed", 0) + totals.get("errors", 0)
    # The closing line, in the plain form CI reads: "N passed, N failed, N skipped".
    print(
        f"total: {totals.get('passed', 0)} passed, {failed} failed, "
        f"{totals.get('skipped', 0)} skipped"
    )
    print(f"wall time: {time.monotonic() - started:.1f} s")
    broken = [result.name for result in results if not result.ok]
    if broken:
        print(f"failing: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0
