"""`lessons bench [NAME ...] [--write]`: measure what the lessons claim.

One module per benchmark, each with a `run()` that returns a `Section`; this
file runs them, prints each section, and with --write saves docs/benchmarks.md
(and the __pycache__ page's table). Exit codes: 0 when every chosen benchmark
ran (a missed target is a result, not an error), 1 when one could not run, 2
for a usage mistake.
"""

import sys
import time
from collections.abc import Callable

from lessons.bench import boot, pagination, pool, pycache, servers
from lessons.bench.common import (
    BenchmarkUnavailable,
    Check,
    Section,
    machine_line,
    markdown_table,
)
from lessons.steps import ROOT
from lessons.throwaway import DatabaseUnavailable

INTRODUCTION = """\
# Benchmarks

The lessons make claims that can be measured: a server written from scratch can
keep up with the standard library's, deep OFFSET pages get slow while keyset
pages do not, the bytecode cache speeds up start-up, a connection pool beats a
new connection per request. This page shows the numbers of one real run of
`lessons bench`. They describe one machine on one day (see the line under each
table): run the command to get the numbers of yours.
"""

HOW_TO_RUN = """\
## Run it yourself

After `make test` has passed (it installs everything the benchmarks use):

```bash
lessons bench                      # every benchmark, a few minutes
lessons bench servers pagination   # only the ones you name
lessons bench --write              # all of them, then rewrite this page
```

The `servers` benchmark uses the load generator wrk when it is installed (`sudo
apt install wrk`) and a built-in one otherwise; `pagination` and `pool` start a
throwaway MariaDB/MySQL server of their own, so your data is never touched.

Every figure is a median of several runs. Things that are compared run in the
same command, taking turns, and the tables give the ratio next to the numbers:
on another machine the numbers change, the ratios much less.
"""


def target_rows(checks: list[Check]) -> str:
    """The targets as a table: what should hold, what was measured, PASS/FAIL."""
    rows = [
        [check.target, check.measured, "**PASS**" if check.passed else "**FAIL**"]
        for check in checks
    ]
    return markdown_table(["target", "measured", "result"], rows)


def section_text(section: Section) -> str:
    parts = [f"## {section.title}", section.about]
    parts += section.tables
    parts.append(f"*{machine_line(section.parts)}*")
    if section.notes:
        parts.append("\n".join(f"- {note}" for note in section.notes))
    if section.checks:
        parts.append("Targets:\n\n" + target_rows(section.checks))
    return "\n\n".join(parts) + "\n"


def page_text(sections: list[Section], checks: list[Check]) -> str:
    passed = sum(check.passed for check in checks)
    targets = (
        f"## Targets\n\n{passed} of {len(checks)} targets met in this run.\n\n"
        + target_rows(checks)
        + "\n"
    )
    return "\n".join(
        [INTRODUCTION, HOW_TO_RUN, targets, *(section_text(s) for s in sections)]
    )


# The benchmarks, in the order they run and appear on the page.
BENCHMARKS: dict[str, Callable[[], Section]] = {
    "servers": servers.run,
    "boot": boot.run,
    "pycache": pycache.run,
    "pagination": pagination.run,
    "pool": pool.run,
}
TIME_LIMIT = 120.0  # seconds: each benchmark should take under 2 minutes on 2 cores
PAGE = ROOT / "docs" / "benchmarks.md"


def main(names: list[str], write: bool) -> int:
    """Run the named benchmarks (all when `names` is empty)."""
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
        started = time.perf_counter()
        try:
            section = BENCHMARKS[name]()
        except (BenchmarkUnavailable, DatabaseUnavailable) as problem:
            print(f"\n{name}: not run: {problem}\n", file=sys.stderr, flush=True)
            missing.append(name)
            continue
        section.seconds = time.perf_counter() - started
        section.checks.append(Check(
            f"`{name}` finishes in under {TIME_LIMIT / 60:.0f} minutes",
            section.seconds < TIME_LIMIT, f"{section.seconds:.0f} s",
        ))  # fmt: skip
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
        pycache.write_measurements([s for s in sections if s.name == "pycache"])
        boot.write_measurements([s for s in sections if s.name == "boot"])
    return 0
