"""Finding the course's steps: the NN_name folders at the top of the repository.

A step describes itself: the first heading of its README is its title, the first
paragraph its summary, and the files it has tell what it needs (a `schema.sql`
needs a database server, a `deploy/` folder needs nginx, a browser test needs
Chromium). So adding a step folder is all it takes for `lessons` to know it.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from lessons.errors import LessonsError

ROOT = Path(__file__).resolve().parent.parent
STEP_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
# What a learner's tools put in a step folder: never part of a lesson. Every
# tool and test walks a step through Step.files(), which leaves these out.
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", "venv", ".venv"}
IGNORED_NAMES |= {".lessons", "site", ".env", "node_modules"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".log", ".pid")


class UnknownStep(LessonsError, ValueError):
    """Raised when a step number or name matches no step folder."""


@dataclass(frozen=True)
class Step:
    """One step folder of the course."""

    number: str  # "01"
    path: Path

    @property
    def name(self) -> str:
        return self.path.name  # the folder name, e.g. `01_raw_wsgi`

    def files(self) -> list[Path]:
        """The step's own files, sorted: no virtual environment, cache or log."""
        found = []
        for folder, names, files in os.walk(self.path):
            names[:] = [name for name in names if name not in IGNORED_NAMES]
            for name in files:
                if name not in IGNORED_NAMES and not name.endswith(IGNORED_SUFFIXES):
                    found.append(Path(folder) / name)
        return sorted(found)

    @property
    def readme(self) -> str:
        """The step's README text ('' when it has none yet)."""
        readme = self.path / "README.md"
        return readme.read_text(encoding="utf-8") if readme.exists() else ""

    @property
    def title(self) -> str:
        """The README's first heading, without the leading '#'."""
        for line in self.readme.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.name

    @property
    def summary(self) -> str:
        """The first sentence of the README's first paragraph of prose."""
        for paragraph in re.split(r"\n\s*\n", self.readme):
            text = " ".join(paragraph.split())
            if text and text[0].isalpha():
                return text.split(". ")[0].rstrip(".") + "."
        return ""

    @property
    def needs(self) -> list[str]:
        """The system parts (keys of lessons.system.PARTS) this step's tests need."""
        parts = []
        if (self.path / "schema.sql").exists():
            parts.append("mariadb")
        if (self.path / "deploy").is_dir():
            parts.append("nginx")
        if list(self.path.glob("tests/test_browser*.py")):
            parts.append("chromium")
        return parts


def all_steps(root: Path = ROOT) -> list[Step]:
    """Every step folder, in course order."""
    folders = [path for path in sorted(root.iterdir()) if path.is_dir()]
    return [Step(p.name[:2], p) for p in folders if STEP_NAME.match(p.name)]


def find_step(wanted: str, root: Path = ROOT) -> Step:
    """The step for '1', '01' or '01_raw_wsgi'; UnknownStep names the valid ones."""
    steps = all_steps(root)
    for step in steps:
        if wanted in (step.name, step.number) or wanted == step.number.lstrip("0"):
            return step
    valid = ", ".join(step.number for step in steps)
    raise UnknownStep(f"there is no step {wanted!r}; the steps are: {valid}")
