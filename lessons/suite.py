"""`lessons test`: every step's tests, each step in a Python process of its own.

Why one process per step: every step has its own `app.py`, and Python imports a
module once per process, so two steps in one pytest run would share the first
`app` imported. Running `pytest` once per folder keeps each step honest.
"""

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from lessons import system
from lessons.steps import ROOT, Step

# The counts in pytest's closing line, e.g. "== 41 passed, 2 skipped in 3.1s ==".
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


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


def run_pytest(folder: Path, extra_args: list[str]) -> Result:
    """Run pytest on one folder, showing its output as it goes."""
    # Relative paths read better in the output; a folder elsewhere stays whole.
    target = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    command = [sys.executable, "-m", "pytest", str(target)]
    started = time.monotonic()
    lines = []
    with subprocess.Popen(
        [*command, *extra_args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    exit_code = process.returncode
    seconds = time.monotonic() - started
    return Result(folder.name, exit_code, seconds, closing_counts("".join(lines)))


def describe(result: Result) -> str:
    """One line for the summary, for example `01_raw_wsgi  ok  41 passed  3.2 s`."""
    counts = ", ".join(f"{n} {word}" for word, n in result.counts.items()) or "no tests"
    verdict = "ok" if result.ok else f"FAILED (pytest exit {result.exit_code})"
    return f"{result.name:<26} {verdict:<8} {counts:<36} {result.seconds:6.1f} s"


def run_suite(steps: list[Step], include_course: bool, extra_args: list[str]) -> int:
    """Run the steps' tests (and the course's own tests); 0 when all passed."""
    needed = sorted({part for step in steps for part in step.needs})
    if include_course:
        needed = sorted({*needed, "chromium"})  # the docs tests open the site
    for key in system.ensure(needed):
        print(f"note: {system.missing_message(key)}")

    folders = [step.path for step in steps]
    if include_course and (ROOT / "tests").is_dir():
        folders.append(ROOT / "tests")

    results = []
    for folder in folders:
        print(f"\n=== {folder.name} ===", flush=True)
        results.append(run_pytest(folder, extra_args))

    print("\n=== summary ===")
    totals: dict[str, int] = {}
    for result in results:
        print(describe(result))
        for word, number in result.counts.items():
            totals[word] = totals.get(word, 0) + number
    failed = totals.get("failed", 0) + totals.get("errors", 0)
    broken = [result.name for result in results if not result.ok]
    # The closing line, in the plain form CI reads: "N passed, N failed, N skipped".
    print(
        f"total: {totals.get('passed', 0)} passed, {failed} failed, "
        f"{totals.get('skipped', 0)} skipped"
    )
    if broken:
        print(f"failing: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0
