"""`lessons doctor`: what this machine has, what it lacks, and how to get it."""

import sys
from importlib import metadata
from pathlib import Path

from lessons import system
from lessons.steps import ROOT

LOCK_FILE = ROOT / "requirements.lock"


def locked_versions(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """The exact versions in the lock file: {"flask": "3.1.3", ...}."""
    versions = {}
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            versions[name.strip().lower()] = version.strip()
    return versions


def check() -> list[str]:
    """Print one line per check; return the problems that stop the course working."""
    problems = []

    # pyproject.toml requires 3.11+, so pip would not have installed us on less.
    print(f"ok       Python {sys.version.split()[0]} ({sys.executable})")

    if sys.prefix != sys.base_prefix:
        print(f"ok       virtual environment {sys.prefix}")
    else:
        print("note     not in a virtual environment; `make` creates .venv for you")

    stale = []
    for name, wanted in sorted(locked_versions().items()):
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = "missing"
        if found != wanted:
            stale.append(f"{name} {found} (locked: {wanted})")
    if stale:
        print(f"MISSING  packages: {'; '.join(stale)}")
        problems.append("Install the locked packages: make install")
    else:
        print("ok       every package in requirements.lock, at its locked version")

    for key, part in system.PARTS.items():
        path = system.find(key)
        if path:
            print(f"ok       {part.title}: {path}")
        else:
            print(f"optional {part.title} is missing ({part.needed_for})")
            print(f"           install: {system.install_hint(key)}")
    return problems
