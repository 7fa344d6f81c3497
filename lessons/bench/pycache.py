"""Benchmark `pycache`: what the bytecode cache (`__pycache__`) saves at start-up.

`import` is timed in fresh Python processes, cold, warm and never cached (ABOUT).
The repository's own caches are never touched: the library is compiled into a
temporary PYTHONPYCACHEPREFIX (a folder that takes the place of every
`__pycache__`), and the app is imported from a temporary copy of its step. The
__pycache__ docs page shows the table (docs/measurements/pycache.md).
"""

import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessons.bench.common import Section, machine_line, markdown_table, milliseconds
from lessons.processes import run_python
from lessons.steps import ROOT, Step, all_steps

RUNS = 5
OUTPUT = ROOT / "docs" / "measurements" / "pycache.md"
ABOUT = """\
Python compiles each module to bytecode the first time it imports it and keeps
the result in `__pycache__`, so the next start skips the compiling (see the page
on `__pycache__`). Here Flask and the step 05 app are imported cold (no cache
yet), warm (the cache is there) and with `PYTHONDONTWRITEBYTECODE=1` (the cache
is never written, so every start is a cold one)."""
# The settings that change where (or whether) Python caches bytecode. Every
# measurement starts from an environment without them and sets what it needs.
CACHE_SETTINGS = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
# What runs in each fresh process: `before` is imported untimed, then only the
# import of `module` is timed, so the interpreter's own start-up is left out.
# It prints the seconds, then how many of the modules it loaded are written in
# Python: those have a `__cached__` path, they use the bytecode cache.
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
class Row:
    """One line of the table: the median seconds of each kind of import."""

    label: str
    modules: int  # how many modules a cold import compiles
    cold: float
    warm: float
    no_cache: float


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any cache setting, plus `settings`."""
    environment = {k: v for k, v in os.environ.items() if k not in CACHE_SETTINGS}
    return {**environment, **settings}


def time_import(
    module: str, cwd: Path, environment: dict[str, str], before: str = ""
) -> tuple[float, int]:
    """Seconds `import module` took in a fresh process in `cwd`, modules loaded."""
    program = TIMING_PROGRAM.format(module=module, before=before)
    seconds, modules = run_python(program, cwd, environment).split()
    return float(seconds), int(modules)


def median_of(runs: int, import_once: Callable[[], tuple[float, int]]) -> float:
    return statistics.median(import_once()[0] for _ in range(runs))


def no_pyc_written(folder: Path) -> None:
    if folder.exists() and any(folder.rglob("*.pyc")):
        raise RuntimeError("PYTHONDONTWRITEBYTECODE=1 did not stop Python writing")


def measure_library(module: str, runs: int, workspace: Path) -> Row:
    """Time importing an installed library cold, warm and without a cache.

    pip compiled the library's `.pyc` files when it installed it, so a cold
    import points PYTHONPYCACHEPREFIX at a new, empty folder each time.
    """
    workspace.mkdir(parents=True)
    made = []

    def cold() -> tuple[float, int]:
        made.append(workspace / f"cold-{len(made)}")
        prefix = clean_environment(PYTHONPYCACHEPREFIX=str(made[-1]))
        return time_import(module, workspace, prefix)

    colds = [cold() for _ in range(runs)]
    modules = colds[0][1]
    cold_seconds = statistics.median(seconds for seconds, _ in colds)
    warm = clean_environment(PYTHONPYCACHEPREFIX=str(workspace / "warm"))
    time_import(module, workspace, warm)  # fills the cache once
    warm_seconds = median_of(runs, lambda: time_import(module, workspace, warm))
    never = workspace / "never-written"
    no_cache = clean_environment(
        PYTHONPYCACHEPREFIX=str(never), PYTHONDONTWRITEBYTECODE="1"
    )
    no_cache_seconds = median_of(runs, lambda: time_import(module, workspace, no_cache))
    no_pyc_written(never)
    label = f"`{module}` and what it imports"
    return Row(label, modules, cold_seconds, warm_seconds, no_cache_seconds)


def measure_app(step: Step, runs: int, workspace: Path) -> Row:
    """Time importing a step's `app` module cold, warm and without a cache.

    What the app imports from elsewhere (Flask, the MySQL driver) is loaded
    before the clock starts: this row is about the step's own code.
    """
    copy = workspace / step.name
    for path in step.files():  # a copy: the step's own __pycache__ stays as it is
        relative = path.relative_to(step.path)
        if relative.parts[0] != "tests":
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy / relative)
    never_written = clean_environment(PYTHONDONTWRITEBYTECODE="1")
    outside = run_python(OUTSIDE_MODULES_PROGRAM, copy, never_written).split()
    before = (
        f"import importlib\nfor name in {outside!r}:\n    importlib.import_module(name)"
    )

    def import_app(environment: dict[str, str]) -> tuple[float, int]:
        return time_import("app", copy, environment, before=before)

    def remove_caches() -> None:
        for cache in list(copy.rglob("__pycache__")):
            shutil.rmtree(cache)

    def cold() -> tuple[float, int]:
        remove_caches()  # Python compiles and writes the cache again
        return import_app(clean_environment())

    cold_seconds = median_of(runs, cold)
    # The last cold run left a full cache behind: from now on imports are warm.
    modules = sum(1 for _ in copy.rglob("*.pyc"))  # what a cold start compiles
    warm_seconds = median_of(runs, lambda: import_app(clean_environment()))
    remove_caches()
    no_cache_seconds = median_of(runs, lambda: import_app(never_written))
    no_pyc_written(copy)
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
    with tempfile.TemporaryDirectory(prefix="pycache-timing-") as folder:
        return [
            measure_library("flask", runs, Path(folder) / "library"),
            measure_app(step or newest_flask_step(), runs, Path(folder) / "app"),
        ]


def timing_table(rows: list[Row], runs: int) -> str:
    """The measurements as a Markdown table, with where and when below it."""
    cells = [
        [row.label, str(row.modules), milliseconds(row.cold), milliseconds(row.warm),
         milliseconds(row.no_cache), f"{row.cold / row.warm:.1f}× faster"]
        for row in rows
    ]  # fmt: skip
    headers = ["import", "modules compiled", "cold: compile, write `.pyc`"]
    headers += ["warm: read `__pycache__`", "`PYTHONDONTWRITEBYTECODE=1`", "warm is"]
    return (
        f"{markdown_table(headers, cells, align='lrrrrr')}\n\n*{machine_line({})}: "
        f"median of {runs} runs, each in a fresh process, timing the `import` "
        "statement only (not the interpreter's start-up).*\n"
    )


def run(runs: int | None = None) -> Section:
    """Run the benchmark and describe it as a Section."""
    runs = runs or RUNS
    table = timing_table(measure(runs), runs)
    notes = [
        "The repository's own `__pycache__` folders are never touched: Flask is "
        "compiled into a temporary PYTHONPYCACHEPREFIX folder, and the app is "
        "imported from a temporary copy of its step.",
        "With PYTHONDONTWRITEBYTECODE=1 every start costs what a cold one does: "
        "the variable saves a little disk space and costs start-up time, every time.",
    ]
    title = "Bytecode cache: cold vs warm imports"
    return Section("pycache", title, ABOUT, [table], notes)


def write_measurements(sections: list[Section]) -> None:
    """Save this run's table for the __pycache__ page (docs/measurements/)."""
    for section in sections:
        OUTPUT.write_text(section.tables[0], encoding="utf-8")
