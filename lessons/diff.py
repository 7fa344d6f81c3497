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

from lessons.steps import Step

# What is not the lesson's code: its tests, its prose, its data, its exercises.
# `lessons diff --all` shows them too.
NOT_CODE_FOLDERS = {"tests", "exercises"}
NOT_CODE_SUFFIXES = (".md", ".json", ".toml")


def is_code(name: str) -> bool:
    """True for a file of the lesson's code: app.py, schema.sql, deploy/... ."""
    parts = name.split("/")
    return not NOT_CODE_FOLDERS & set(parts) and not name.endswith(NOT_CODE_SUFFIXES)


def lesson_files(folder: Path, everything: bool = True) -> dict[str, Path]:
    """The step's files, keyed by their relative path (only its code, if asked)."""
    files = Step("", folder).files()
    named = {path.relative_to(folder).as_posix(): path for path in files}
    return {name: path for name, path in named.items() if everything or is_code(name)}


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


def file_diffs(old: Path, new: Path, everything: bool = False) -> list[tuple]:
    """(name, unified diff text) for each file that differs between two steps.

    Only the code by default: the tests, READMEs and data change with every
    lesson too, but they are not what it teaches. `everything` shows them all.
    A file the new step no longer has comes as (name, "Only in OLD: name").
    """
    old_files = lesson_files(old, everything)
    new_files = lesson_files(new, everything)
    found = []
    for name in sorted(old_files.keys() | new_files.keys()):
        if name not in new_files:
            found.append((name, f"Only in {old.name}: {name}\n"))
            continue
        before = read_lines(old_files.get(name))
        after = read_lines(new_files.get(name))
        old_label = f"{old.name}/{name}" if name in old_files else "/dev/null"
        new_label = f"{new.name}/{name}"
        if before is None or after is None:
            if read_bytes(old_files.get(name)) != read_bytes(new_files.get(name)):
                found.append(
                    (name, f"Binary files {old_label} and {new_label} differ\n")
                )
            continue
        lines = difflib.unified_diff(before, after, old_label, new_label)
        # A last line without a newline would glue itself to the next header.
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        if text:
            found.append((name, text))
    return found


def diff_steps(old: Path, new: Path, everything: bool = False) -> str:
    """A unified diff (like `diff -ruN`) between two step folders' code."""
    return "".join(text for _name, text in file_diffs(old, new, everything))


def docs_diff(old: Path, new: Path) -> str:
    """The step page's "what changed": one folded block per file, not searched.

    Each file gets its own block, titled with its name and its counts of added
    and removed lines, folded until the reader opens it; the whole is left out
    of the site's search (data-search-exclude), which should find the lesson's
    words, not every line of a diff. The wrapper is a <section>, a tag used
    nowhere inside: Material's search tells elements apart by their tag alone,
    so the first inner </div> would end a <div>'s exclusion.
    """
    parts = ['<section markdown data-search-exclude="true">\n']
    for name, text in file_diffs(old, new):
        if text.startswith("Only in "):
            parts.append(f"\n`{name}` is gone: {new.name} no longer needs it.\n")
            continue
        lines = text.splitlines()[2:]  # after the ---/+++ header
        added = sum(line.startswith("+") for line in lines)
        removed = sum(line.startswith("-") for line in lines)
        block = "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())
        parts.append(
            f'\n??? abstract "`{name}`: +{added} −{removed}"\n\n'
            f"    `````diff\n{block}    `````\n"
        )
    parts.append("\n</section>\n")
    return "".join(parts)


def write_docs_diffs(steps: list, folder: Path) -> list[Path]:
    """Write docs/diffs/NN.md for each step against the one before it.

    The docs site shows these files on each step's page; the docs tests check
    that they are current, so run `lessons diff --write` after changing a step.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for old, new in itertools.pairwise(steps):  # (01, 02), (02, 03), ...
        path = folder / f"{new.number}.md"
        path.write_text(docs_diff(old.path, new.path), encoding="utf-8")
        written.append(path)
    return written
