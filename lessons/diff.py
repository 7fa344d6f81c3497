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
    in_folder = NOT_CODE_FOLDERS & set(name.split("/"))
    return not in_folder and not name.endswith(NOT_CODE_SUFFIXES)


def lesson_files(folder: Path, everything: bool) -> dict[str, Path]:
    """The step's files (only its code, unless `everything`), by relative path."""
    files = [
        (path.relative_to(folder).as_posix(), path) for path in Step("", folder).files()
    ]
    return {name: path for name, path in files if everything or is_code(name)}


def file_diffs(old: Path, new: Path, everything: bool = False) -> list[tuple]:
    """(name, unified diff text) for each file that differs between two steps;
    a file the new step no longer has comes as (name, "Only in OLD: name")."""
    old_files, new_files = lesson_files(old, everything), lesson_files(new, everything)
    found = []
    for name in sorted(old_files.keys() | new_files.keys()):
        if name not in new_files:
            found.append((name, f"Only in {old.name}: {name}\n"))
            continue
        before = old_files[name].read_bytes() if name in old_files else b""
        after = new_files[name].read_bytes()
        old_label = f"{old.name}/{name}" if name in old_files else "/dev/null"
        new_label = f"{new.name}/{name}"
        try:
            before_lines = before.decode("utf-8").splitlines(keepends=True)
            after_lines = after.decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            if before != after:
                found.append(
                    (name, f"Binary files {old_label} and {new_label} differ\n")
                )
            continue
        lines = difflib.unified_diff(before_lines, after_lines, old_label, new_label)
        # A last line without a newline would glue itself to the next header.
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        if text:
            found.append((name, text))
    return found


def diff_steps(old: Path, new: Path, everything: bool = False) -> str:
    """A unified diff (like `diff -ruN`) between two step folders' code."""
    return "".join(text for _name, text in file_diffs(old, new, everything))


def docs_diff(old: Path, new: Path) -> str:
    """The step page's "what changed": a folded block per file, titled with its
    name and counts of added and removed lines, all left out of the site's
    search (data-search-exclude: it should find the lesson's words). The wrapper
    is a <section>, a tag used nowhere inside: Material's search tells elements
    apart by tag alone, so the first inner </div> would end a <div>'s exclusion.
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
    """Write docs/diffs/NN.md for each step against the one before it (each
    step's page shows it; the docs tests check that it is current)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for old, new in itertools.pairwise(steps):  # (01, 02), (02, 03), ...
        path = folder / f"{new.number}.md"
        path.write_text(docs_diff(old.path, new.path), encoding="utf-8")
        written.append(path)
    return written
