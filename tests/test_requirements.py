"""Each step's requirements.txt: exactly what the step imports, at the locked versions.

A learner runs a step with nothing but a fresh `venv/` and
`pip install -r requirements.txt`, so that file must name every package the
step's code imports (or a package that brings it along), nothing more, and the
same versions the course tests with (requirements.lock).
"""

import ast
import functools
import itertools
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from lessons.steps import ROOT, all_steps

STEPS = all_steps()
LOCKED = {
    Requirement(line).name.lower(): Requirement(line)
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
}
SKIPPED_DIRS = {
    "tests",
    "exercises",
    "venv",
    ".venv",
    "__pycache__",
}  # checks: course env


def requirements_of(step_path: Path) -> list[Requirement]:
    lines = (step_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line and not line.startswith("#")]


def code_files(step_path: Path) -> list[Path]:
    return [
        path
        for path in sorted(step_path.rglob("*.py"))
        if not SKIPPED_DIRS & set(path.relative_to(step_path).parts)
    ]


@functools.cache
def installed_providers() -> dict[str, list[str]]:
    """{module: [distributions that install it]}: read once, it reads every
    installed package's file list."""
    return metadata.packages_distributions()


def imported_distributions(step_path: Path) -> set[str]:
    """The installed distributions whose modules the step's own code imports."""
    own = {path.stem for path in step_path.iterdir()} | {"deploy"}
    top_level = set()
    for path in code_files(step_path):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                top_level |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                top_level.add(node.module.partition(".")[0])
    third_party = top_level - set(sys.stdlib_module_names) - own
    providers = installed_providers()
    return {providers[name][0].lower() for name in third_party}


def with_dependencies(names: set[str]) -> set[str]:
    """The names, and every distribution they install along with them."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if not requirement.marker or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name.lower())
    return seen


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.number)
def test_requirements_are_pinned_to_the_locked_versions(step):
    for requirement in requirements_of(step.path):
        locked = LOCKED.get(requirement.name.lower())
        assert locked, f"{step.name}/requirements.txt: {requirement} is not locked"
        assert str(requirement.specifier) == str(locked.specifier), (
            f"{step.name}/requirements.txt pins {requirement}, "
            f"but requirements.lock has {locked}: make them agree"
        )


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.number)
def test_requirements_name_exactly_what_the_step_imports(step):
    listed = {requirement.name.lower() for requirement in requirements_of(step.path)}
    imported = imported_distributions(step.path)
    missing = imported - with_dependencies(listed)
    assert not missing, f"{step.name} imports {missing} but requirements.txt lacks it"
    unused = listed - imported
    assert not unused, f"{step.name}/requirements.txt lists {unused}, never imported"


def fresh_venv(folder: Path, requirements: Path) -> Path:
    """A new virtual environment with only `pip install -r requirements`."""
    # The course's own pip installs into the new venv (`pip --python`): the same
    # install as the venv's pip would do, without first copying pip into it.
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
    # No byte-compiling of what it installs: the test runs each step once.
    pip += ["--no-compile", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "-r", requirements],
        check=True,
        capture_output=True,
    )
    return python


def runs_in(python: Path, step) -> subprocess.CompletedProcess:
    """Start the step with that interpreter, as far as it goes without serving."""
    if step.number == "01":
        command = [python, "server.py", "--help"]
    else:
        # `flask routes` imports the app and everything it imports.
        command = [python, "-m", "flask", "--app", "app", "routes"]
    return subprocess.run(
        command, cwd=step.path, capture_output=True, text=True, check=False
    )


def test_a_fresh_step_venv_with_only_the_requirements_runs_every_step(tmp_path):
    # One venv per distinct requirements.txt (02 and 03 share theirs, 04 and 05
    # theirs), built exactly as a README says: venv, then pip install -r. The
    # venvs are built side by side: pip spends much of its time waiting on the
    # package index, and each venv is its own folder.
    steps_of = {}
    for step in STEPS:
        key = tuple(str(requirement) for requirement in requirements_of(step.path))
        steps_of.setdefault(key, []).append(step)

    def build_and_run(number, steps):
        python = fresh_venv(
            tmp_path / f"venv{number}", steps[0].path / "requirements.txt"
        )
        return [(step, runs_in(python, step)) for step in steps]

    with ThreadPoolExecutor() as pool:
        runs = list(pool.map(build_and_run, itertools.count(), steps_of.values()))
    for step, result in itertools.chain.from_iterable(runs):
        assert result.returncode == 0, (
            f"{step.name} does not run in a venv with only its requirements.txt:\n"
            f"{result.stderr}"
        )
