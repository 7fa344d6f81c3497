"""`lessons bench [NAME ...] [--write]`: measure what the lessons claim.

Runs the chosen benchmarks (all by default) and prints what they found; with
--write it saves that to docs/measurements/, which docs/benchmarks.md and two
concept pages include. Exit codes: 0 when every chosen benchmark ran (a missed
target is a result, not an error), 1 when one could not run, 2 for a usage mistake.
"""

import sys
import time

from lessons.bench import boot, common, load, pagination
from lessons.steps import ROOT
from lessons.throwaway import DatabaseUnavailable

# The benchmarks, in the order they run and appear on the page.
BENCHMARKS = {
    "servers": load.servers,
    "boot": boot.run,
    "pycache": boot.pycache,
    "pagination": pagination.run,
    "pool": load.pool,
}
TIME_LIMIT = 120.0  # seconds: each benchmark should take under 2 minutes on 2 cores
MEASUREMENTS = ROOT / "docs" / "measurements"


def main(names: list[str], write: bool, folder=MEASUREMENTS) -> int:
    """Run the named benchmarks (all when `names` is empty)."""
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"lessons bench: no benchmark called {unknown[0]!r}; "
            f"the benchmarks are: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    if write and names:
        # A page that mixed today's numbers with an older run's would compare
        # two different machines or days without saying so.
        print(
            "lessons bench: --write saves every benchmark's numbers, so it runs "
            "them all: use `lessons bench --write` without names",
            file=sys.stderr,
        )
        return 2
    texts, checks, missing = {}, [], []
    for name in dict.fromkeys(names or BENCHMARKS):  # in order, without repeats
        print(f"Running the {name} benchmark ...", flush=True)
        started = time.perf_counter()
        try:
            result = BENCHMARKS[name]()
        except (common.BenchmarkUnavailable, DatabaseUnavailable) as problem:
            print(f"{name}: not run: {problem}", file=sys.stderr, flush=True)
            missing.append(name)
            continue
        seconds = time.perf_counter() - started
        target = f"`{name}` finishes in under {TIME_LIMIT / 60:.0f} minutes"
        took = common.Check(target, seconds < TIME_LIMIT, f"{seconds:.0f} s")
        texts.update(result.texts)
        checks += [*result.checks, took]
        print("", *result.texts.values(), sep="\n", flush=True)
    rows = [
        [check.target, check.measured, "**PASS**" if check.passed else "**FAIL**"]
        for check in checks
    ]
    met = f"{sum(check.passed for check in checks)} of {len(checks)} targets met"
    table = common.table(["target", "measured", "result"], rows)
    texts["targets"] = f"{met} in this run.\n\n{table}\n"
    if checks:
        print(texts["targets"])
    if missing:
        print(f"Not run: {', '.join(missing)} (see above); nothing was written.")
        return 1
    if write:
        for name, text in texts.items():
            (folder / f"{name}.md").write_text(text, encoding="utf-8")
        print(f"Wrote {', '.join(texts)} in {folder}.")
    return 0
