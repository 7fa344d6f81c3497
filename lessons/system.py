"""What this machine has: Python, the locked packages, the system parts some steps
need (a database, nginx, Chromium), and how to get what is missing.

Each part is a program pip cannot install: `find()` looks for it and
`missing_message()` says how to get it. Installing them is the learner's step
(or .ci/run's, on a fresh CI machine), never a side effect of a test run.
`lessons doctor` is `doctor()`.
"""

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Part:
    """A program that pip cannot install, with the packages that provide it."""

    title: str
    commands: tuple[str, ...]  # the first one found on the search path wins
    apt: str
    brew: str
    needed_for: str


PARTS = {
    "mariadb": Part(
        "MariaDB/MySQL server",
        ("mariadbd", "mysqld"),
        "mariadb-server",
        "mariadb",
        "steps 04-05 (the throwaway database)",
    ),
    "nginx": Part(
        "nginx",
        ("nginx",),
        "nginx",
        "nginx",
        "step 05's production chain (nginx -> gunicorn -> app)",
    ),
    "chromium": Part(
        "Chromium (headless)",
        ("chromium", "chromium-browser", "google-chrome"),
        "chromium",
        "--cask chromium",
        "the CORS browser test and the docs tests",
    ),
    "wrk": Part(
        "wrk (HTTP load generator)",
        ("wrk",),
        "wrk",
        "wrk",
        "lessons bench servers and pool",
    ),
}

# Server programs live in sbin folders, which are not on a normal user's PATH.
EXTRA_FOLDERS = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin")


def which(*commands: str) -> str | None:
    """The full path of the first of `commands` found on PATH or in EXTRA_FOLDERS."""
    search_path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_FOLDERS])
    for command in commands:
        found = shutil.which(command, path=search_path)
        if found:
            return found
    return None


def find(key: str) -> str | None:
    """The full path of the part's program, or None when it is not installed."""
    return which(*PARTS[key].commands)


def install_hint(key: str) -> str:
    """The one command that installs the part on this kind of machine."""
    part = PARTS[key]
    if platform.system() == "Darwin":
        return f"brew install {part.brew}"
    return f"sudo apt install {part.apt}  (macOS: brew install {part.brew})"


def missing_message(key: str) -> str:
    """A sentence that says what is missing, what needs it, and how to get it."""
    part = PARTS[key]
    needs = f"{part.title} is not installed; {part.needed_for} need it"
    return f"{needs}. Install it with: {install_hint(key)}"


def in_ci() -> bool:
    """Under CI a missing part is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def doctor() -> list[str]:
    """Print one line per check; return the problems that stop the course working."""
    # pyproject.toml requires 3.11+, so pip would not have installed us on less.
    print(f"ok       Python {sys.version.split()[0]} ({sys.executable})")
    if sys.prefix != sys.base_prefix:
        print(f"ok       virtual environment {sys.prefix}")
    else:
        print("note     not in a virtual environment; `make` creates .venv for you")
    lock_file = Path(__file__).resolve().parent.parent / "requirements.lock"
    stale = []
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        name, _, wanted = line.split("#")[0].strip().partition("==")
        if not wanted:
            continue
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = "missing"
        if found != wanted:
            stale.append(f"{name} {found} (locked: {wanted})")
    problems = []
    if stale:
        print(f"MISSING  packages: {'; '.join(stale)}")
        problems.append("Install the locked packages: make install")
    else:
        print("ok       every package in requirements.lock, at its locked version")
    for key, part in PARTS.items():
        path = find(key)
        if path:
            print(f"ok       {part.title}: {path}")
        else:
            print(f"optional {part.title} is missing ({part.needed_for})")
            print(f"           install: {install_hint(key)}")
    return problems
