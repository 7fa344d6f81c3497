"""Benchmark `boot`: how long each step's app takes to import and to build.

A server imports your app once when it starts (and gunicorn once per worker), so
this is what a restart or a new worker costs. Each step's app is timed in a
fresh Python process started in the step folder, like `flask run` does: the
clock runs around `import app` and, for the steps with a factory, around
`create_app()`. Python's own start-up is measured apart, as a baseline.
"""

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lessons.bench.common import (
    BenchmarkUnavailable,
    Section,
    markdown_table,
    milliseconds,
    times,
)
from lessons.bench.pycache import clean_environment
from lessons.processes import run_python
from lessons.steps import ROOT, Step, all_steps

RUNS = 5
ABOUT = """\
A server imports your app when it starts, and gunicorn does it again in every
worker it starts or restarts. This is how long that takes for each step's app,
in a fresh Python process started in the step folder: `import app` (which
imports Flask and everything else the app uses) and, for the steps with an
application factory, `create_app()`."""

# What runs in each fresh process. It prints the seconds `import app` took, then
# the seconds create_app() took, or "-" when the step has no factory: its app is
# built while app.py is imported, as in steps 01 and 02.
BOOT_PROGRAM = """\
import time
started = time.perf_counter()
import app
imported = time.perf_counter()
if hasattr(app, "create_app"):
    app.create_app()
    print(imported - started, time.perf_counter() - imported)
else:
    print(imported - started, "-")
"""


@dataclass(frozen=True)
class Boot:
    """One timed start: seconds spent importing and building the app."""

    import_seconds: float
    create_seconds: float | None  # None: the step has no create_app()

    @property
    def total(self) -> float:
        """Import and creation together."""
        return self.import_seconds + (self.create_seconds or 0.0)


def time_boot(step: Step) -> Boot:
    """Import (and build) a step's app once, in a fresh process in its folder."""
    # clean_environment(): no PYTHONDONTWRITEBYTECODE, so the bytecode cache is
    # used as on a learner's machine (the `pycache` benchmark measures that).
    try:
        output = run_python(BOOT_PROGRAM, step.path, clean_environment())
    except RuntimeError as error:
        message = f"importing step {step.number}'s app failed: {error}"
        raise BenchmarkUnavailable(message) from None
    import_seconds, create_seconds = output.split()
    if create_seconds == "-":
        return Boot(float(import_seconds), None)
    return Boot(float(import_seconds), float(create_seconds))


def python_start_seconds() -> float:
    """The wall time of `python -c pass`: what every fresh process pays first."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=clean_environment(), check=True)
    return time.perf_counter() - started


def steps_with_an_app() -> list[Step]:
    """Every step that has an app.py, in course order."""
    return [step for step in all_steps() if (step.path / "app.py").exists()]


def measure(runs: int = RUNS) -> dict[Step, list[Boot]]:
    """Time every step's boot `runs` times, after one untimed run each.

    The untimed run writes the bytecode cache if it is missing, so every timed
    run is a warm start, the usual case.
    """
    steps = steps_with_an_app()
    for step in steps:
        time_boot(step)
    boots: dict[Step, list[Boot]] = {step: [] for step in steps}
    for _ in range(runs):  # steps take turns, so a busy moment hits them alike
        for step in steps:
            boots[step].append(time_boot(step))
    return boots


# Flask vs Django: the same JSON endpoint as a one-file app of each (apps/),
# timed from a fresh process: the import, then the first request through the
# WSGI callable, then the process's peak memory (ru_maxrss: KiB on Linux).
APPS = Path(__file__).parent / "apps"
FRAMEWORKS = {"Flask": "flask_app", "Django": "django_app"}
FRAMEWORK_PROGRAM = """\
import resource, sys, time
from wsgiref.util import setup_testing_defaults
started = time.perf_counter()
from {module} import application
imported = time.perf_counter()
environ = {{"PATH_INFO": "/status"}}
setup_testing_defaults(environ)
statuses = []
body = b"".join(application(environ, lambda status, *rest: statuses.append(status)))
answered = time.perf_counter()
assert statuses == ["200 OK"] and b"ok" in body, (statuses, body)
memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(imported - started, answered - imported, memory)
"""
MEASURED = ROOT / "docs" / "measurements" / "frameworks.md"


def time_framework(module: str) -> tuple[float, float, float]:
    """(import seconds, first-request seconds, peak MiB) of one fresh start."""
    program = FRAMEWORK_PROGRAM.format(module=module)
    try:
        output = run_python(program, APPS, clean_environment())
    except RuntimeError as error:
        message = f"{module} did not start: {error} (is the bench group installed?)"
        raise BenchmarkUnavailable(message) from None
    imported, answered, memory_kib = output.split()
    return float(imported), float(answered), int(memory_kib) / 1024


def frameworks_table(runs: int) -> str:
    """The Flask vs Django table: medians of `runs` fresh starts each."""
    for module in FRAMEWORKS.values():
        time_framework(module)  # untimed: writes the bytecode cache
    starts = {name: [] for name in FRAMEWORKS}
    for _ in range(runs):  # taking turns, so a busy moment hits both alike
        for name, module in FRAMEWORKS.items():
            starts[name].append(time_framework(module))
    rows = []
    flask_total = None
    for name, timings in starts.items():
        imported = statistics.median(start[0] for start in timings)
        answered = statistics.median(start[1] for start in timings)
        memory = statistics.median(start[2] for start in timings)
        flask_total = flask_total or imported + answered
        rows.append(
            [
                name,
                milliseconds(imported),
                milliseconds(answered),
                milliseconds(imported + answered),
                times((imported + answered) / flask_total),
                f"{memory:.1f} MiB",
            ]
        )
    headers = ["one-file app", "import", "first request", "together", "÷ Flask"]
    return markdown_table([*headers, "peak memory"], rows, align="lrrrrr")


def write_measurements(sections: list[Section]) -> None:
    """Save this run's Flask vs Django table for its page (docs/measurements/)."""
    for section in sections:
        MEASURED.write_text(section.tables[1] + "\n", encoding="utf-8")


def run(runs: int | None = None) -> Section:
    """Run the benchmark and describe it as a Section."""
    runs = runs or RUNS
    boots = measure(runs)
    baseline = None
    rows = []
    for step, timings in boots.items():
        total = statistics.median([boot.total for boot in timings])
        baseline = baseline or total  # the first step: a bare WSGI app
        if timings[0].create_seconds is None:
            create = "— (built by the import)"
        else:
            create = milliseconds(
                statistics.median([boot.create_seconds for boot in timings])
            )
        rows.append(
            [
                f"{step.number} `{step.name}`",
                milliseconds(
                    statistics.median([boot.import_seconds for boot in timings])
                ),
                create,
                milliseconds(total),
                times(total / baseline),
            ]
        )
    table = markdown_table(
        ["step", "`import app`", "`create_app()`", "together", "÷ step 01"],
        rows,
        align="lrrrr",
    )
    start = statistics.median([python_start_seconds() for _ in range(runs)])
    notes = [
        f"Median of {runs} fresh processes per step, the steps taking turns, with "
        "the bytecode cache warm. `import app` includes everything the app imports "
        "(Flask, mysql-connector-python...).",
        f"Not included: Python's own start-up, `python -c pass`, which took "
        f"{milliseconds(start)} (median of {runs}).",
        "Steps 01 and 02 build their app while app.py is imported; steps 03 and "
        "later build it in `create_app()`, which is timed apart.",
    ]
    notes.append(
        f"Flask vs Django: the same JSON endpoint as a one-file app of each "
        f"(lessons/bench/apps/), median of {runs} fresh processes: the import, the "
        "first request through the WSGI callable, and the process's peak memory "
        "(Python's own included)."
    )
    return Section(
        name="boot",
        title="Start-up: import and build each step's app, and Flask vs Django",
        about=ABOUT,
        tables=[table, frameworks_table(runs)],
        notes=notes,
    )
