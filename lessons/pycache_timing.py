"""Measure what Python's bytecode cache (`__pycache__`) saves, on this machine.

    python -m lessons.pycache_timing            print a Markdown table
    python -m lessons.pycache_timing --write    also save it for the docs site

The docs page on `__pycache__` shows numbers measured by this script, not quoted
from elsewhere. It times `import` in fresh Python processes, three ways:

- cold: no cached bytecode, so Python compiles every module and writes a `.pyc`;
- warm: the `.pyc` files of an earlier run are there, so Python only reads them;
- PYTHONDONTWRITEBYTECODE=1: nothing is ever written, so every run is cold.

It does this for `flask` (with everything Flask imports) and for the `app` module
of the newest Flask step. The repository's own caches are never touched: the
library is compiled into a temporary PYTHONPYCACHEPREFIX (a folder that takes the
place of every `__pycache__`), and the app is imported from a temporary copy.
"""

import argparse
import datetime
import itertools
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessons.processes import run_python
from lessons.steps import ROOT, Step, all_steps

RUNS = 5
OUTPUT = ROOT / "docs" / "measurements" / "pycache.md"

# The settings that change where (or whether) Python caches bytecode. Every
# measurement starts from an environment without them and sets what it needs.
CACHE_SETTINGS = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")

# What runs in each fresh process: `before` is imported untimed, then only the
# import of `module` is timed, so the interpreter's own start-up is left out.
# It prints the seconds, then how many of the modules the import loaded are
# written in Python: those have a `__cached__` path, they use the bytecode cache.
TIMING_PROGRAM = """\
import sys, time
{before}
already_loaded = set(sys.modules)
started = time.perf_counter()
import {module}
seconds = time.perf_counter() - started
new = [sys.modules[name] for name in set(sys.modules) - already_loaded]
print(seconds, sum(1 for module in new if getattr(module, "__cached__", None)))
"""

# Lists the modules `import app` loads from outside the step's folder (Flask, the
# MySQL driver, the standard library), so they can be loaded before the clock.
OUTSIDE_MODULES_PROGRAM = """\
import os, sys
already_loaded = set(sys.modules)
import app
here = os.getcwd() + os.sep
for name in sorted(set(sys.modules) - already_loaded):
    if not (getattr(sys.modules[name], "__file__", None) or "").startswith(here):
        print(name)
"""


@dataclass(frozen=True)
class Import:
    """What one timed import reported."""

    seconds: float
    modules: int  # modules written in Python that the import loaded


@dataclass(frozen=True)
class Row:
    """One line of the table: the median seconds of each kind of import."""

    label: str
    modules: int  # how many modules a cold import compiles
    cold: float
    warm: float
    no_cache: float

    @property
    def speedup(self) -> float:
        """How many times faster a warm import is than a cold one."""
        return self.cold / self.warm


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any cache setting, plus `settings`."""
    environment = {
        name: value for name, value in os.environ.items() if name not in CACHE_SETTINGS
    }
    environment.update(settings)
    return environment


def time_import(
    module: str, cwd: Path, environment: dict[str, str], before: str = ""
) -> Import:
    """Time `import module` in a fresh Python process started in `cwd`."""
    program = TIMING_PROGRAM.format(module=module, before=before)
    output = run_python(program, cwd, environment)
    seconds, modules = output.split()
    return Import(float(seconds), int(modules))


def median_seconds(runs: int, import_once: Callable[[], Import]) -> float:
    """The median of `runs` timings: one slow run (a busy disk) cannot skew it."""
    return statistics.median(import_once().seconds for _ in range(runs))


def count_pyc(folder: Path) -> int:
    """How many compiled files (.pyc) there are under `folder`."""
    return sum(1 for _ in folder.rglob("*.pyc"))


def remove_pycache(folder: Path) -> None:
    """Delete every `__pycache__` folder under `folder`: the next import is cold."""
    for cache in list(folder.rglob("__pycache__")):
        shutil.rmtree(cache)


def measure_library(module: str, runs: int, workspace: Path) -> Row:
    """Time importing an installed library cold, warm and without a cache.

    An installed library already has its `.pyc` files (pip compiles them while it
    installs), so for a cold import we point PYTHONPYCACHEPREFIX at an empty
    folder: Python then reads and writes bytecode only there.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    fresh_folders = itertools.count()

    def cold() -> Import:
        """Every run gets a new, empty prefix folder."""
        prefix = workspace / f"cold-{next(fresh_folders)}"
        environment = clean_environment(PYTHONPYCACHEPREFIX=str(prefix))
        return time_import(module, workspace, environment)

    modules = cold().modules  # also shows that the import works at all
    cold_seconds = median_seconds(runs, cold)

    warm_environment = clean_environment(PYTHONPYCACHEPREFIX=str(workspace / "warm"))
    time_import(module, workspace, warm_environment)  # fills the cache once
    warm_seconds = median_seconds(
        runs, lambda: time_import(module, workspace, warm_environment)
    )

    never_written = workspace / "never-written"
    no_cache_environment = clean_environment(
        PYTHONPYCACHEPREFIX=str(never_written), PYTHONDONTWRITEBYTECODE="1"
    )
    no_cache_seconds = median_seconds(
        runs, lambda: time_import(module, workspace, no_cache_environment)
    )
    if never_written.exists() and count_pyc(never_written):
        raise RuntimeError("PYTHONDONTWRITEBYTECODE=1 did not stop Python writing")

    label = f"`{module}` and what it imports"
    return Row(label, modules, cold_seconds, warm_seconds, no_cache_seconds)


def outside_modules(folder: Path, environment: dict[str, str]) -> list[str]:
    """The modules that `import app` in `folder` loads from anywhere else."""
    return run_python(OUTSIDE_MODULES_PROGRAM, folder, environment).split()


def measure_app(step: Step, runs: int, workspace: Path) -> Row:
    """Time importing a step's `app` module cold, warm and without a cache.

    The step folder is copied first, so its real `__pycache__` is never touched.
    What the app imports from elsewhere (Flask, the MySQL driver) is loaded
    before the clock starts: this row is about the step's own code, which is
    what the cache beside a learner's files holds.
    """
    copy = workspace / step.name
    ignore = shutil.ignore_patterns("__pycache__", "tests", "venv", ".venv")
    shutil.copytree(step.path, copy, ignore=ignore)
    environment = clean_environment()
    libraries = outside_modules(copy, clean_environment(PYTHONDONTWRITEBYTECODE="1"))
    load_libraries = f"import importlib\nfor name in {libraries!r}:\n"
    load_libraries += "    importlib.import_module(name)"

    def import_app(environment: dict[str, str]) -> Import:
        """Import the copy's app module, its libraries already loaded."""
        return time_import("app", copy, environment, before=load_libraries)

    def cold() -> Import:
        """Delete the cache, then import: Python compiles and writes it again."""
        remove_pycache(copy)
        return import_app(environment)

    cold()  # shows that the import works, and writes the step's .pyc files once
    modules = count_pyc(copy)  # the step's own modules: what a cold start compiles
    cold_seconds = median_seconds(runs, cold)
    # The last cold run left a full cache behind: from now on imports are warm.
    warm_seconds = median_seconds(runs, lambda: import_app(environment))

    remove_pycache(copy)
    no_cache_environment = clean_environment(PYTHONDONTWRITEBYTECODE="1")
    no_cache_seconds = median_seconds(runs, lambda: import_app(no_cache_environment))
    if count_pyc(copy):
        raise RuntimeError("PYTHONDONTWRITEBYTECODE=1 did not stop Python writing")

    label = f"step {step.number}'s `app` (its own modules)"
    return Row(label, modules, cold_seconds, warm_seconds, no_cache_seconds)


def newest_flask_step(root: Path = ROOT) -> Step:
    """The newest step whose app.py uses Flask (step 01's app is plain WSGI)."""
    for step in reversed(all_steps(root)):
        app_file = step.path / "app.py"
        if app_file.exists() and "flask" in app_file.read_text(encoding="utf-8"):
            return step
    raise LookupError("no step folder has an app.py that uses Flask yet")


def measure(runs: int = RUNS, step: Step | None = None) -> list[Row]:
    """Measure Flask and a step's app (the newest Flask step by default)."""
    step = step or newest_flask_step()
    with tempfile.TemporaryDirectory(prefix="pycache-timing-") as folder:
        workspace = Path(folder)
        return [
            measure_library("flask", runs, workspace / "library"),
            measure_app(step, runs, workspace / "app"),
        ]


def machine_line(runs: int, today: datetime.date | None = None) -> str:
    """Where and when the numbers were measured: they describe one machine."""
    today = today or datetime.date.today()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    system = f"{platform.system()} {platform.machine()}"
    return (
        f"Measured on {today.isoformat()} with {python} on {system}, "
        f"{os.cpu_count()} CPUs: median of {runs} runs, each in a fresh process, "
        "timing the `import` statement only (not the interpreter's start-up)."
    )


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds with one decimal, e.g. `12.3 ms`."""
    return f"{seconds * 1000:.1f} ms"


def markdown_table(rows: list[Row], runs: int) -> str:
    """The measurements as a Markdown table with the machine line below it."""
    lines = [
        "| import | modules compiled | cold: compile, write `.pyc` "
        "| warm: read `__pycache__` | `PYTHONDONTWRITEBYTECODE=1` | warm is |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {row.modules} | {milliseconds(row.cold)} "
            f"| {milliseconds(row.warm)} | {milliseconds(row.no_cache)} "
            f"| {row.speedup:.1f}× faster |"
        )
    return "\n".join(lines) + "\n\n" + machine_line(runs) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, and with --write save it for the docs site."""
    parser = argparse.ArgumentParser(
        prog="python -m lessons.pycache_timing", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"also save the table to {OUTPUT.relative_to(ROOT)}",
    )
    parser.add_argument(
        "--runs", type=int, default=RUNS, help=f"runs of each kind (default {RUNS})"
    )
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error("--runs must be 1 or more")
    try:
        table = markdown_table(measure(arguments.runs), arguments.runs)
    except (LookupError, RuntimeError) as problem:
        print(f"pycache_timing: {problem}", file=sys.stderr)
        return 1
    print(table, end="")
    if arguments.write:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(table, encoding="utf-8")
        print(f"\nsaved to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
