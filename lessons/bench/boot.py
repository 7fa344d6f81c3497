"""Benchmarks `boot` and `pycache`: what starting an app costs, in fresh processes.

A server imports the app once when it starts (gunicorn once per worker): `boot`
times that for each step's app, and for one small app in Flask and in Django
(apps/); `pycache` shows what the bytecode cache saves on those imports. The
clock runs inside the new process, so Python's own start-up is left out.
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lessons.bench import common
from lessons.processes import run_python
from lessons.steps import all_steps

RUNS = 5
APPS = Path(__file__).parent / "apps"
# Prints the seconds of `import app`, then those of create_app() when the step
# has one (steps 01 and 02 build their app while app.py is imported).
BOOT_PROGRAM = """\
import time
started = time.perf_counter()
import app
print(time.perf_counter() - started)
if hasattr(app, "create_app"):
    started = time.perf_counter()
    app.create_app()
    print(time.perf_counter() - started)
"""
# Prints the seconds of the import, of the first request through the WSGI
# callable, and the process's peak memory in KiB (ru_maxrss, on Linux).
FRAMEWORK_PROGRAM = """\
import resource, time
from wsgiref.util import setup_testing_defaults
started = time.perf_counter()
from {module} import application
print(time.perf_counter() - started)
environ = {{"PATH_INFO": "/status"}}
setup_testing_defaults(environ)
started = time.perf_counter()
answers = []
body = b"".join(application(environ, lambda status, *rest: answers.append(status)))
print(time.perf_counter() - started)
assert answers == ["200 OK"] and b"ok" in body, (answers, body)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def fresh_starts(programs: dict[str, tuple[str, Path]], runs: int, what: str) -> dict:
    """Per label, the medians of the numbers its program printed in a fresh
    process in its folder, over `runs` starts taking turns, after one untimed
    start that writes the bytecode cache: every timed start is a warm one."""
    numbers = {label: [] for label in programs}
    for number in range(runs + 1):
        print(f"  {what}: round {number + 1} of {runs + 1}", flush=True)
        for label, (program, folder) in programs.items():
            output = run_python(program, folder, common.fresh_environment())
            if number > 0:
                numbers[label].append([float(value) for value in output.split()])
    return {
        label: [statistics.median(column) for column in zip(*starts, strict=True)]
        for label, starts in numbers.items()
    }


def time_row(label: str, baseline: float, first: float, second: float | None = None):
    """A row of `boot` or `frameworks`: two timings, then their sum and how many
    times `baseline` that is. No second timing: the import built the app."""
    built = "— (built by the import)" if second is None else common.milliseconds(second)
    together = first + (second or 0)
    cells = [common.milliseconds(first), built, *common.against(together, baseline)]
    return [label, *cells]


def run(runs: int = RUNS) -> common.Result:
    """Time every step's app, then Flask against Django."""
    steps = [step for step in all_steps() if (step.path / "app.py").exists()]
    programs = {step: (BOOT_PROGRAM, step.path) for step in steps}
    boots = fresh_starts(programs, runs, "every step's app")
    baseline = sum(boots[steps[0]])  # step 01 together: the ÷ step 01 column
    rows = []
    for step, timings in boots.items():  # the import, then create_app() if any
        rows.append(time_row(f"{step.number} `{step.name}`", baseline, *timings))
    headers = ["step", "`import app`", "`create_app()`", "together", "÷ step 01"]
    steps_table = common.table(headers, rows, "lrrrr")

    programs = {}
    for name, module in (("Flask", "flask_app"), ("Django", "django_app")):
        programs[name] = (FRAMEWORK_PROGRAM.format(module=module), APPS)
    starts = fresh_starts(programs, runs, "Flask and Django")
    rows = []
    for name, (imported, answered, memory) in starts.items():
        row = time_row(name, sum(starts["Flask"][:2]), imported, answered)
        rows.append([*row, f"{memory / 1024:.1f} MiB"])
    headers = ["one-file app", "import", "first request", "together", "÷ Flask"]
    frameworks_table = common.table([*headers, "peak memory"], rows, "lrrrrr")

    pythons = []  # what every fresh process pays first
    for _ in range(runs):
        started = time.perf_counter()
        run_python("pass", APPS, common.fresh_environment())
        pythons.append(time.perf_counter() - started)
    note = (
        f"Median of {runs} fresh processes each, taking turns, the bytecode cache "
        "warm. Not included: Python's own start-up, `python -c pass`, which took "
        f"{common.milliseconds(statistics.median(pythons))}."
    )
    boot = common.measured_text([steps_table], [note])
    frameworks = common.measured_text([frameworks_table], [note])
    return common.Result({"boot": boot, "frameworks": frameworks})


def import_seconds(module: str, folder: Path, settings: dict, own=None) -> float:
    """Seconds `import module` took in a fresh process in `folder`, from Python's
    own `-X importtime` report: the whole import, or (with `own`) only the time
    spent in the code of the modules named in `own`."""
    command = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    environment = common.fresh_environment(**settings)
    done = subprocess.run(
        command, cwd=folder, env=environment, capture_output=True, text=True, check=True
    )
    # After a heading, a line per module: "import time:  412 |  1045 |   flask.app",
    # the microseconds in its own code, the same with what it imported, its name.
    spent = {}
    for line in done.stderr.splitlines()[1:]:
        itself, with_imports, name = line.removeprefix("import time:").split("|")
        spent[name.strip()] = int(itself), int(with_imports)
    if own is None:
        return spent[module][1] / 1e6
    return sum(spent[name][0] for name in own if name in spent) / 1e6


def three_ways(module: str, folder: Path, runs: int, settings: dict, own=None) -> list:
    """One row of the `pycache` table: the modules a cold import compiles, the
    median seconds of cold, warm and never-cached imports, warm's speed-up."""
    # The .pyc files go to the PYTHONPYCACHEPREFIX when there is one, else to
    # the __pycache__ folders below `folder`.
    cache = Path(settings.get("PYTHONPYCACHEPREFIX", folder))
    never_written = {**settings, "PYTHONDONTWRITEBYTECODE": "1"}
    cold, warm, never = [], [], []
    for number in range(runs):  # taking turns: never cached, then cold, then warm
        print(f"  `{module}`: round {number + 1} of {runs}", flush=True)
        # No .pyc left: the never-cached import finds none to read (it reads
        # them, it only does not write them), and then the cold one compiles.
        for stale in cache.rglob("*.pyc"):
            stale.unlink()
        never.append(import_seconds(module, folder, never_written, own))
        cold.append(import_seconds(module, folder, settings, own))
        compiled = sum(1 for _ in cache.rglob("*.pyc"))  # what that import wrote
        warm.append(import_seconds(module, folder, settings, own))
    cold, warm, never = (statistics.median(seconds) for seconds in (cold, warm, never))
    timings = [common.milliseconds(seconds) for seconds in (cold, warm, never)]
    return [str(compiled), *timings, f"{cold / warm:.1f}× faster"]


def pycache(runs: int = RUNS, library: str = "flask") -> common.Result:
    """`library`, then step 05's app, imported cold, warm and never cached.

    The repository's own caches are never touched: the library's bytecode goes
    to a PYTHONPYCACHEPREFIX of our own (a folder that takes the place of every
    `__pycache__`), the app's to a temporary copy of its step.
    """
    with tempfile.TemporaryDirectory(prefix="lessons-pycache-") as folder:
        workspace = Path(folder)
        copy = workspace / "app"
        # Not a learner's venv/: its packages are not the step's own modules.
        ignored = shutil.ignore_patterns("tests", "__pycache__", "venv", ".venv")
        shutil.copytree(common.STEP05, copy, ignore=ignored)
        own = set()  # the module names of the step's files: app, controllers.books...
        for path in copy.rglob("*.py"):
            parts = path.relative_to(copy).with_suffix("").parts
            own.add(".".join(parts).removesuffix(".__init__"))
        # pip compiled the library when it installed it: rather than delete that
        # cache, we point Python at one of our own.
        prefix = {"PYTHONPYCACHEPREFIX": str(workspace / "prefix")}
        library_row = three_ways(library, workspace, runs, prefix)
        app_row = three_ways("app", copy, runs, {}, own)
    rows = [[f"`{library}` and what it imports", *library_row]]
    rows.append(["step 05's `app` (its own modules)", *app_row])
    headers = ["import", "modules compiled", "cold: compile, write `.pyc`"]
    headers += ["warm: read `__pycache__`", "`PYTHONDONTWRITEBYTECODE=1`", "warm is"]
    note = (
        f"Median of {runs} runs, each in a fresh process, the three ways taking "
        "turns, timing the `import` statement only (`python -X importtime`), not "
        "the interpreter's start-up."
    )
    table = common.table(headers, rows, "lrrrrr")
    return common.Result({"pycache": common.measured_text([table], [note])})
