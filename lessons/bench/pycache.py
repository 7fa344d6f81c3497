"""Benchmark `pycache`: what the bytecode cache (`__pycache__`) saves at start-up.

The measuring is lessons/pycache_timing.py's (the docs page on `__pycache__`
explains it); this module runs it for `lessons bench` and adds the ratios.
Three ways to import, each in fresh processes:

- cold: no `.pyc` files, so Python compiles every module and writes the cache;
- warm: the cache of an earlier run is there, so Python only reads it;
- PYTHONDONTWRITEBYTECODE=1: Python never writes the cache, so every start is cold.
"""

from lessons import pycache_timing
from lessons.bench.common import Section, markdown_table, milliseconds, times
from lessons.steps import ROOT, Step, all_steps

RUNS = 5
ABOUT = """\
Python compiles each module to bytecode the first time it imports it and keeps
the result in `__pycache__`, so the next start skips the compiling (see the page
on `__pycache__`). Here Flask and the step 05 app are imported cold (no cache
yet), warm (the cache is there) and with `PYTHONDONTWRITEBYTECODE=1` (the cache
is never written, so every start is a cold one)."""
PREFERRED_STEP = "05"  # the finished app; an older Flask step stands in until then


def step_to_measure() -> Step:
    """Step 05 when it has an app.py, otherwise the newest step with a Flask app."""
    for step in all_steps(ROOT):
        if step.number == PREFERRED_STEP and (step.path / "app.py").exists():
            return step
    return pycache_timing.newest_flask_step(ROOT)


def run(runs: int = RUNS) -> Section:
    """Run the benchmark and describe it as a Section."""
    step = step_to_measure()
    measured = pycache_timing.measure(runs, step)
    rows = [
        [
            row.label,
            str(row.modules),
            milliseconds(row.cold),
            milliseconds(row.warm),
            milliseconds(row.no_cache),
            times(row.cold / row.warm),
            times(row.no_cache / row.warm),
        ]
        for row in measured
    ]
    table = markdown_table(
        [
            "import",
            "Python modules",
            "cold",
            "warm",
            "`PYTHONDONTWRITEBYTECODE=1`",
            "cold ÷ warm",
            "no cache ÷ warm",
        ],
        rows,
        align="lrrrrrr",
    )
    notes = [
        f"Median of {runs} fresh processes for each kind of import, timing the "
        "`import` statement only. The repository's own `__pycache__` folders are "
        "never touched: Flask is compiled into a temporary PYTHONPYCACHEPREFIX "
        "folder, and the app is imported from a temporary copy of its step.",
        "With PYTHONDONTWRITEBYTECODE=1 every start costs what a cold one does: "
        "the variable saves a little disk space and costs start-up time, every time.",
    ]
    if step.number != PREFERRED_STEP:
        notes.append(
            f"Step {PREFERRED_STEP} has no app.py yet, so step {step.number}'s app "
            "was measured instead."
        )
    return Section(
        name="pycache",
        title="Bytecode cache: cold vs warm imports",
        about=ABOUT,
        tables=[table],
        notes=notes,
    )
