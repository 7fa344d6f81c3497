"""The MYSQL_* settings: which database server the steps and the tooling use.

They come from the environment or from a `.env` file at the repository root
(the environment wins, as python-dotenv's `load_dotenv()` does in the steps).
When MYSQL_HOST is unset, the tooling starts a throwaway server of its own.
"""

import os
from pathlib import Path

from dotenv import dotenv_values

NAMES = ("MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE")
# What a setting means when MYSQL_HOST is set but the setting itself is not.
DEFAULTS = {
    "MYSQL_PORT": "3306",
    "MYSQL_USER": "root",
    "MYSQL_PASSWORD": "",
    "MYSQL_DATABASE": "bookshop",
}


def configured(root: Path) -> dict[str, str] | None:
    """The MYSQL_* settings from the environment or `root/.env`; None without a host."""
    env_file = Path(root) / ".env"
    # Only a real file: python-dotenv also opens a named pipe, which would block.
    from_file = dotenv_values(env_file) if env_file.is_file() else {}
    settings = {}
    for name in NAMES:
        # dotenv gives None for a bare `NAME` line without `=`.
        value = os.environ.get(name, from_file.get(name))
        settings[name] = value if value is not None else DEFAULTS.get(name, "")
    return settings if settings["MYSQL_HOST"] else None


def configured_in(root: Path) -> str:
    """Where MYSQL_HOST was set, for messages: "the environment" or the .env path."""
    return "the environment" if os.environ.get("MYSQL_HOST") else str(root / ".env")


def describe(settings: dict[str, str]) -> str:
    """A short address like `lessons@127.0.0.1:3306/bookshop` (no password)."""
    return (
        f"{settings['MYSQL_USER']}@{settings['MYSQL_HOST']}:"
        f"{settings['MYSQL_PORT']}/{settings['MYSQL_DATABASE']}"
    )
