"""The system parts some steps need (a database, nginx, Chromium) and how to get them.

Each part is a program that pip cannot install. `find()` looks for it, `install_hint()`
says how to get it, and `ensure()` installs the missing ones with apt when that is
safe to do for the user: on Debian or Ubuntu, running as root (a fresh CI machine).
"""

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Part:
    """A program that pip cannot install, with the packages that provide it."""

    key: str
    title: str
    commands: tuple[str, ...]  # the first one found on the search path wins
    apt: str
    brew: str
    needed_for: str


PARTS = {
    "mariadb": Part(
        key="mariadb",
        title="MariaDB/MySQL server",
        commands=("mariadbd", "mysqld"),
        apt="mariadb-server",
        brew="mariadb",
        needed_for="steps 04-05 (the throwaway database)",
    ),
    "nginx": Part(
        key="nginx",
        title="nginx",
        commands=("nginx",),
        apt="nginx",
        brew="nginx",
        needed_for="step 05's production chain (nginx -> gunicorn -> app)",
    ),
    "chromium": Part(
        key="chromium",
        title="Chromium (headless)",
        commands=("chromium", "chromium-browser", "google-chrome"),
        apt="chromium",
        brew="--cask chromium",
        needed_for="the CORS browser test and the docs tests",
    ),
}

# Server programs live in sbin folders, which are not on a normal user's PATH.
EXTRA_FOLDERS = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin")


def find(key: str) -> str | None:
    """Return the full path of the part's program, or None when it is not installed."""
    search_path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_FOLDERS])
    for command in PARTS[key].commands:
        found = shutil.which(command, path=search_path)
        if found:
            return found
    return None


def install_hint(key: str) -> str:
    """The one command that installs the part on this kind of machine."""
    part = PARTS[key]
    if platform.system() == "Darwin":
        return f"brew install {part.brew}"
    return f"sudo apt install {part.apt}  (macOS: brew install {part.brew})"


def missing_message(key: str) -> str:
    """A sentence that says what is missing, what needs it, and how to get it."""
    part = PARTS[key]
    return (
        f"{part.title} is not installed; {part.needed_for} need it. "
        f"Install it with: {install_hint(key)}"
    )


def can_install_with_apt() -> bool:
    """True on Debian/Ubuntu when we run as root, so apt-get needs no password."""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    is_debian = Path("/etc/debian_version").exists()
    return is_root and is_debian and shutil.which("apt-get") is not None


def ensure(keys: list[str]) -> list[str]:
    """Install missing parts with apt where we may; return the keys still missing."""
    missing = [key for key in keys if find(key) is None]
    if missing and can_install_with_apt():
        packages = [PARTS[key].apt for key in missing]
        names = ", ".join(packages)
        print(f"Installing {names} with apt-get (we run as root on Debian)")
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "env": environment}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        install = ["apt-get", "install", "-y", "-qq", *packages]
        result = subprocess.run(install, check=False, **quiet)
        if result.returncode != 0:
            print("apt-get install failed; see its messages above.", file=sys.stderr)
        missing = [key for key in keys if find(key) is None]
    return missing


def in_ci() -> bool:
    """True when running under CI, where a missing part is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
