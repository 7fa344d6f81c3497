"""`lessons diff NN MM`: the lesson of a step in one view.

Each step folder starts as a copy of the one before, so a unified diff of two step
folders shows exactly what a lesson changed. Caches and generated files are left
out: they are not part of any lesson. A file the new step no longer has is
named in one line, `Only in 01_raw_wsgi: server.py`, as `diff -r` does, rather
than printed line by line: what a step removes is not what it teaches.
"""

import difflib
import itertools
from pathlib import Path

# Names that never belong in a lesson's diff.
IGNORED_NAMES = {
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "venv",
    ".venv",
    ".lessons",
    "site",
    ".env",
    "exercises",  # `lessons practice` data and checks, not the lesson's code
    "exercises.toml",
}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".log", ".pid")


def lesson_files(folder: Path) -> dict[str, Path]:
    """The step's files that belong to the lesson, keyed by their relative path."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in IGNORED_NAMES for part in relative.parts):
            continue
        if path.is_file() and not path.name.endswith(IGNORED_SUFFIXES):
            files[relative.as_posix()] = path
    return files


def read_lines(path: Path | None) -> list[str] | None:
    """The file's lines, [] when absent, None when it is not text."""
    if path is None:
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def read_bytes(path: Path | None) -> bytes:
    """The file's bytes, b"" when absent."""
    return path.read_bytes() if path else b""


def diff_steps(old: Path, new: Path) -> str:
    """A unified diff (like `diff -ruN`) between two step folders."""
    old_files, new_files = lesson_files(old), lesson_files(new)
    chunks = []
    for name in sorted(old_files.keys() | new_files.keys()):
        if name not in new_files:
            chunks.append(f"Only in {old.name}: {name}\n")
            continue
        before = read_lines(old_files.get(name))
        after = read_lines(new_files.get(name))
        old_label = f"{old.name}/{name}" if name in old_files else "/dev/null"
        new_label = f"{new.name}/{name}"
        if before is None or after is None:
            if read_bytes(old_files.get(name)) != read_bytes(new_files.get(name)):
                chunks.append(f"Binary files {old_label} and {new_label} differ\n")
            continue
        lines = difflib.unified_diff(before, after, old_label, new_label)
        for line in lines:
            # A last line without a newline would glue itself to the next header.
            chunks.append(line if line.endswith("\n") else line + "\n")
    return "".join(chunks)


def write_docs_diffs(steps: list, folder: Path) -> list[Path]:
    """Write docs/diffs/NN.diff for each step against the one before it.

    The docs site shows these files on each step's page; the docs tests check
    that they are current, so run `lessons diff --write` after changing a step.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for old, new in itertools.pairwise(steps):  # (01, 02), (02, 03), ...
        path = folder / f"{new.number}.diff"
        path.write_text(diff_steps(old.path, new.path), encoding="utf-8")
        written.append(path)
    return written
