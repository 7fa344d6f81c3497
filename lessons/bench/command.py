"""`lessons bench [NAME ...] [--write]`: run benchmarks, print them, save the page.

Exit codes: 0 when every chosen benchmark ran (read its PASS/FAIL lines: a
target missed on a busy machine is a result, not an error), 1 when one could not
run (what is missing is printed), 2 for a usage mistake.
"""

import sys
import time
from collections.abc import Callable

from lessons import mysql
from lessons.bench import boot, pagination, pool, pycache, servers
from lessons.bench.common import BenchmarkUnavailable, Check, Section
from lessons.bench.page import page_text, section_text, target_rows
from lessons.steps import ROOT

# The benchmarks, in the order they run and appear on the page.
BENCHMARKS: dict[str, Callable[[], Section]] = {
    "servers": servers.run,
    "boot": boot.run,
    "pycache": pycache.run,
    "pagination": pagination.run,
    "pool": pool.run,
}
TIME_LIMIT = 120.0  # seconds: the "under 2 minutes on a 2-core machine"
PAGE = ROOT / "docs" / "benchmarks.md"


def run_one(name: str) -> Section:
    """Run one benchmark, time it, and add the time-limit check to its section."""
    started = time.perf_counter()
    section = BENCHMARKS[name]()
    section.seconds = time.perf_counter() - started
    section.checks.append(
        Check(
            f"`{name}` finishes in under {TIME_LIMIT / 60:.0f} minutes",
            section.seconds < TIME_LIMIT,
            f"{section.seconds:.0f} s",
        )
    )
    return section


def main(names: list[str], write: bool) -> int:
    """Run the named benchmarks (all when `names` is empty); see the module doc."""
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"lessons bench: no benchmark called {unknown[0]!r}; "
            f"the benchmarks are: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    chosen = list(dict.fromkeys(names)) or list(BENCHMARKS)  # no repeats, in order
    if write and len(chosen) != len(BENCHMARKS):
        # A page that mixed today's numbers with an older run's would compare
        # two different machines or days without saying so.
        print(
            "lessons bench: --write rewrites the whole page, so it runs every "
            "benchmark: use `lessons bench --write` without names",
            file=sys.stderr,
        )
        return 2

    sections, missing = [], []
    for name in chosen:
        print(f"Running the {name} benchmark ...", flush=True)
        try:
            section = run_one(name)
        except (BenchmarkUnavailable, mysql.DatabaseUnavailable) as problem:
            print(f"\n{name}: not run: {problem}\n", file=sys.stderr, flush=True)
            missing.append(name)
            continue
        sections.append(section)
        print(f"\n{section_text(section)}", flush=True)

    checks = [check for section in sections for check in section.checks]
    if checks:
        print("## Targets\n\n" + target_rows(checks) + "\n")
    print("Time taken: " + ", ".join(f"{s.name} {s.seconds:.0f} s" for s in sections))
    if missing:
        print(f"Not run: {', '.join(missing)} (see the messages above).")
        if write:
            print(f"{PAGE.relative_to(ROOT)} was left as it was.")
        return 1
    if write:
        PAGE.write_text(page_text(sections, checks), encoding="utf-8")
        print(f"Wrote {PAGE.relative_to(ROOT)}.")
    return 0
