"""`lessons practice`: exercises at every step, checked by real tests.

The exercises are data: each step folder has an `exercises.toml` that names, for
each exercise, the file and the part of it taken out (a function's body, or a
snippet section `# --8<-- [start:name]`), the check's tests, the README section
to read and the hints. This module turns that data into a workspace the learner
edits (practice/<id>/, a copy of the step folder with the part taken out), runs
the check's tests against it in a pytest process of its own, and keeps the
progress in practice/progress.json. The step folders stay the reference and are
never edited.

    lessons practice                  the list, with what is done and what is next
    lessons practice start 04-delete  make the workspace, print the task
    lessons practice check [--watch]  check the current exercise (again on save)
    lessons practice hint             one more hint for the current exercise
    lessons practice reset 04-delete  put that workspace back as it was at its start
    lessons practice solution 04-delete   show the course's own code (asks first)
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import click

from lessons import processes
from lessons.errors import LessonsError
from lessons.steps import IGNORED_NAMES, IGNORED_SUFFIXES, ROOT, Step, all_steps

# The workspaces live in practice/ (git-ignored); the tests point this elsewhere.
PRACTICE_DIR = Path(os.environ.get("LESSONS_PRACTICE_DIR") or ROOT / "practice")
# Not copied into a workspace: the step's own tests and the exercises' data, and
# what tools leave in a step folder (a learner's venv/, caches, logs: as
# Step.files() leaves them out). A .env is copied: it names the learner's database.
NOT_COPIED = shutil.ignore_patterns(
    "tests",
    "exercises",
    "exercises.toml",
    *(IGNORED_NAMES - {".env"}),
    *(f"*{suffix}" for suffix in IGNORED_SUFFIXES),
)


@dataclass
class Exercise:
    """One exercise, as its step's exercises.toml describes it."""

    id: str
    title: str
    step: Step
    file: str  # the file the learner edits, relative to the step folder
    check: str  # the check's tests, relative to the step folder
    read: str  # the README section that teaches it
    task: str
    learned: str
    hints: list[str] = field(default_factory=list)
    function: str = ""  # the part taken out: a function's body...
    section: str = ""  # ...or what lies inside a snippet section
    replace_with: str = ""  # what goes in its place (default: a TODO)

    @property
    def check_path(self) -> Path:
        """The check's test file, in the step folder."""
        return self.step.path / self.check

    @property
    def needs_database(self) -> bool:
        """The checks of steps with a schema.sql run on a real MariaDB/MySQL."""
        return (self.step.path / "schema.sql").exists()


class NoSuchExercise(LessonsError):
    """An exercise id that no exercises.toml has."""


# --- reading the exercises ---------------------------------------------------


def load_exercises() -> list[Exercise]:
    """Every exercise of every step, in course order."""
    exercises = []
    for step in all_steps():
        data_file = step.path / "exercises.toml"
        if not data_file.exists():
            continue
        with data_file.open("rb") as data:
            for entry in tomllib.load(data).get("exercise", []):
                try:
                    exercises.append(Exercise(step=step, **entry))
                except TypeError as mistake:  # a key missing or misspelt
                    raise LessonsError(
                        f"{step.name}/exercises.toml, exercise "
                        f"{entry.get('id', '?')}: {mistake}"
                    ) from None
    return exercises


def find_exercise(wanted: str) -> Exercise:
    """The exercise with this id, or one line that says how to see the ids."""
    for exercise in load_exercises():
        if exercise.id == wanted:
            return exercise
    raise NoSuchExercise(
        f"there is no exercise {wanted!r}; `lessons practice` lists them all"
    )


# --- taking a part out, and putting it back ----------------------------------


def part_name(exercise: Exercise) -> str:
    """How the part is named in messages: `function delete_book` or a section."""
    if exercise.function:
        return f"function `{exercise.function}`"
    return f"section `{exercise.section}`"


def find_function(tree: ast.Module, dotted: str) -> ast.FunctionDef | None:
    """The function `name` (or method `Class.name`) defined at the top of a module."""
    nodes: list[ast.stmt] = list(tree.body)
    found = None
    for name in dotted.split("."):
        found = None
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
                found = node
        if found is None:
            return None
        nodes = list(found.body)
    return found if isinstance(found, ast.FunctionDef) else None


def part_lines(exercise: Exercise, source: str) -> tuple[int, int, str]:
    """(first, last, indent) of the lines that make the part, counting from 0.

    A function's part is its body after the docstring (the docstring stays: it
    says what to write). A section's part is what lies between its two markers.
    """
    lines = source.splitlines()
    if exercise.function:
        function = find_function(ast.parse(source), exercise.function)
        if function is not None:
            body = function.body
            has_docstring = (
                isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            )
            first = body[0].end_lineno if has_docstring else body[0].lineno - 1
            indent = " " * body[-1].col_offset
            return first, function.end_lineno - 1, indent
    else:
        start = f"# --8<-- [start:{exercise.section}]"
        end = f"# --8<-- [end:{exercise.section}]"
        starts = [n for n, line in enumerate(lines) if line.strip() == start]
        ends = [n for n, line in enumerate(lines) if line.strip() == end]
        if len(starts) == 1 and len(ends) == 1 and starts[0] < ends[0]:
            return starts[0] + 1, ends[0] - 1, ""
    raise LessonsError(
        f"exercise {exercise.id}: {exercise.step.name}/{exercise.file} has no "
        f"{part_name(exercise)} any more; update {exercise.step.name}/exercises.toml"
    )


def todo_text(exercise: Exercise, indent: str) -> str:
    """What replaces the part: the exercise's own text, or a TODO that raises."""
    if exercise.replace_with:
        text = exercise.replace_with.strip("\n")
    else:
        readme = f"{exercise.step.name}/README.md"
        text = (
            f"# TODO (exercise {exercise.id}): write this part, then run\n"
            f"# `lessons practice check`.\n"
            f"raise NotImplementedError(\n"
            f"    'exercise {exercise.id}: read \"{exercise.read}\" in {readme}'\n"
            f")"
        )
    return "\n".join(indent + line if line else "" for line in text.splitlines())


def taken_out(exercise: Exercise, source: str) -> str:
    """`source` with the exercise's part replaced by its TODO."""
    first, last, indent = part_lines(exercise, source)
    lines = source.splitlines()
    new_lines = [*lines[:first], todo_text(exercise, indent), *lines[last + 1 :]]
    return "\n".join(new_lines) + "\n"


def course_source(exercise: Exercise) -> str:
    """The text of the step's file that the exercise takes a part out of."""
    path = exercise.step.path / exercise.file
    if not path.is_file():
        raise LessonsError(
            f"exercise {exercise.id}: {exercise.step.name}/{exercise.file} is gone; "
            f"update {exercise.step.name}/exercises.toml"
        )
    return path.read_text(encoding="utf-8")


def course_part(exercise: Exercise) -> str:
    """The course's own code for the part: what `solution` shows."""
    source = course_source(exercise)
    first, last, _ = part_lines(exercise, source)
    return "\n".join(source.splitlines()[first : last + 1])


def make_workspace(exercise: Exercise, folder: Path) -> None:
    """Copy the step into `folder` and take the exercise's part out of it."""
    workspace_copy = taken_out(exercise, course_source(exercise))
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(exercise.step.path, folder, ignore=NOT_COPIED)
    (folder / exercise.file).write_text(workspace_copy, encoding="utf-8")


def put_back(exercise: Exercise, folder: Path) -> None:
    """Put the course's own file back into a workspace (the maintainer check)."""
    shutil.copyfile(exercise.step.path / exercise.file, folder / exercise.file)


# --- progress ----------------------------------------------------------------


def workspace_of(exercise: Exercise) -> Path:
    """practice/<id>/: the learner's copy of the step for this exercise."""
    return PRACTICE_DIR / exercise.id


def shown_path(path: Path) -> str:
    """A path as the learner types it: relative to the repository root."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_progress() -> dict:
    """{"current": id or None, "done": [ids], "hints": {id: how many seen}}."""
    progress_file = PRACTICE_DIR / "progress.json"
    progress = {"current": None, "done": [], "hints": {}}
    if progress_file.exists():
        progress.update(json.loads(progress_file.read_text(encoding="utf-8")))
    return progress


def write_progress(progress: dict) -> None:
    """Save the progress file (the practice/ folder is git-ignored)."""
    PRACTICE_DIR.mkdir(exist_ok=True)
    text = json.dumps(progress, indent=2) + "\n"
    (PRACTICE_DIR / "progress.json").write_text(text, encoding="utf-8")


def current_exercise(progress: dict) -> Exercise:
    """The exercise the learner started last, with its workspace still there."""
    if not progress["current"]:
        first = load_exercises()[0].id
        raise LessonsError(
            "no exercise is started yet; see them with `lessons practice`, "
            f"then start one, e.g.: lessons practice start {first}"
        )
    exercise = find_exercise(progress["current"])
    if not workspace_of(exercise).is_dir():
        raise LessonsError(
            f"the workspace {shown_path(workspace_of(exercise))}/ is gone; "
            f"make it again with: lessons practice reset {exercise.id}"
        )
    return exercise


def next_exercise(progress: dict, after: Exercise | None = None) -> Exercise | None:
    """The first exercise not done yet, looking from just after `after`."""
    exercises = load_exercises()
    start = exercises.index(after) + 1 if after in exercises else 0
    for exercise in exercises[start:] + exercises[:start]:
        if exercise.id not in progress["done"]:
            return exercise
    return None


# --- running a check ---------------------------------------------------------


def check_command(checks: list[Path], report: Path, stop_early: bool) -> list[str]:
    """The pytest command that runs these check files (see practice_check.py).

    `stop_early` stops at the first unmet expectation (-x): the maintainer
    check only needs to know that a fresh workspace fails.
    """
    return [
        sys.executable,
        "-m",
        "pytest",
        *(str(check) for check in checks),
        "-p",
        "lessons.practice_check",
        "-p",
        "no:cacheprovider",
        "-o",
        "python_files=check_*.py",
        "-q",
        "--no-header",
        f"--practice-report={report}",
        *(["-x"] if stop_early else []),
    ]


def run_check(
    exercise: Exercise, folder: Path, env: dict | None = None, stop_early: bool = False
) -> dict:
    """Run the exercise's check on the workspace `folder`; return what it saw."""
    return run_checks([exercise.check_path], folder, env, stop_early)


def run_checks(
    checks: list[Path], folder: Path, env: dict | None = None, stop_early: bool = False
) -> dict:
    """Run check files on the workspace `folder` in one pytest process.

    Returns what practice_check saw: {"passed": ..., "results": [one per test,
    with the check file it is in]}, or "broken" with pytest's output when no
    test could run at all.
    """
    # No .pyc of the workspace: Python matches one to its source by size and
    # mtime in whole seconds, so a save in the same second as the last check
    # could be checked as the old code. The libraries' own caches are read.
    environment = {**os.environ, **(env or {}), "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPYCACHEPREFIX", None)
    environment["PRACTICE_WORKSPACE"] = str(folder)
    with tempfile.TemporaryDirectory(prefix="practice-") as scratch:
        report = Path(scratch) / "report.json"
        # Started like every server: it dies with us, even when we are killed.
        # In a session of its own, Ctrl-C in `check --watch` reaches only us,
        # and we stop the check (and the database it started) ourselves.
        process = processes.start(
            check_command(checks, report, stop_early),
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = process.communicate(timeout=300)
        finally:
            processes.stop(process)
        if not report.exists():
            return {"passed": False, "results": [], "broken": output[-3000:]}
        result = json.loads(report.read_text(encoding="utf-8"))
    result["passed"] = process.returncode == 0 and all(
        test["outcome"] == "passed" for test in result["results"]
    )
    return result


def say_result(exercise: Exercise, result: dict) -> None:
    """Print the check's result the way a patient teacher would."""
    if result.get("broken"):
        click.echo(f"The check of {exercise.id} could not run. pytest said:")
        click.echo(result["broken"])
        return
    tests = result["results"]
    unmet = [test for test in tests if test["outcome"] != "passed"]
    if not unmet:
        click.secho(f"✓ {exercise.id} passes: {exercise.title}", fg="green")
        learned = textwrap.fill(
            " ".join(exercise.learned.split()),
            width=78,
            initial_indent="  What you learned: ",
            subsequent_indent="  ",
        )
        click.echo(learned)
        return
    click.secho(
        f"✗ {exercise.id}: {len(unmet)} of {len(tests)} expectations not met yet",
        fg="red",
    )
    for test in tests:
        mark = "✓" if test["outcome"] == "passed" else "✗"
        click.echo(f"  {mark} {test['expectation']}")
        if test is unmet[0]:  # the details of the first one: fix one at a time
            for line in test["detail"].splitlines():
                click.echo(f"      {line}")
    click.echo(
        f'Read "{exercise.read}" in {exercise.step.name}/README.md. '
        f"Stuck? lessons practice hint"
    )


def check_once(exercise: Exercise) -> bool:
    """Check the current exercise once; on success, record it and say what's next."""
    click.echo(f"Checking {exercise.id} in {shown_path(workspace_of(exercise))}/ ...")
    result = run_check(exercise, workspace_of(exercise))
    say_result(exercise, result)
    if result["passed"]:
        progress = read_progress()
        if exercise.id not in progress["done"]:
            progress["done"].append(exercise.id)
        write_progress(progress)
        following = next_exercise(progress, after=exercise)
        if following is None:
            click.echo("That was the last one: every exercise is done. Well done!")
        else:
            click.echo(f"Next: {following.id}  {following.title}")
            click.echo(f"  lessons practice start {following.id}")
    return result["passed"]


SAVES = {"created", "modified", "moved", "deleted", "closed"}  # watchdog's names


def check_on_every_save(exercise: Exercise) -> bool:
    """Check now, then again after every save in the workspace, until it passes
    (True) or Ctrl-C stops the watch (the KeyboardInterrupt goes on: exit 130)."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    changed = threading.Event()

    class OnSave(FileSystemEventHandler):
        """Wakes the loop below when a source file in the workspace changes."""

        def on_any_event(self, event):
            # Reading a file is an event too ("opened", "closed_no_write"):
            # only a change counts, or every check would start the next one.
            path = str(getattr(event, "dest_path", "") or event.src_path)
            if event.event_type in SAVES and path.endswith((".py", ".sql")):
                changed.set()

    observer = Observer()
    observer.schedule(OnSave(), str(workspace_of(exercise)), recursive=True)
    observer.start()
    try:
        while not check_once(exercise):
            click.echo("Watching for your next save (Ctrl-C to stop) ...")
            changed.wait()
            time.sleep(0.1)  # an editor's save is often several events: take them all
            changed.clear()
            click.echo()
        return True
    except KeyboardInterrupt:
        click.echo("\nStopped watching.")
        raise  # exit code 130, like Ctrl-C anywhere else in `lessons`
    finally:
        observer.stop()
        observer.join()


# --- the commands ------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.pass_context
def practice(context: click.Context) -> None:
    """Exercises at every step, checked by real tests (default: the list)."""
    if context.invoked_subcommand is None:
        context.invoke(list_exercises)


@practice.command("list")
def list_exercises() -> None:
    """Every exercise, with what is done and what to do next."""
    progress = read_progress()
    for exercise in load_exercises():
        if exercise.id in progress["done"]:
            mark = "✓"
        else:
            mark = "→" if exercise.id == progress["current"] else " "
        click.echo(f"{mark} {exercise.id:<18} {exercise.title}")
    done = len(progress["done"])
    click.echo(f"\n{done} of {len(load_exercises())} done.")
    if progress["current"] and progress["current"] not in progress["done"]:
        click.echo(f"You are on {progress['current']}: lessons practice check")
        return
    current = progress["current"] and find_exercise(progress["current"])
    following = next_exercise(progress, after=current or None)
    if following is not None:
        click.echo(f"Next: lessons practice start {following.id}")


@practice.command()
@click.argument("exercise_id")
def start(exercise_id: str) -> None:
    """Make the exercise's workspace (if needed) and print the task."""
    exercise = find_exercise(exercise_id)
    folder = workspace_of(exercise)
    if folder.is_dir():
        click.echo(f"Your workspace {shown_path(folder)}/ is kept as you left it.")
        click.echo(f"(To start over: lessons practice reset {exercise.id})")
    else:
        make_workspace(exercise, folder)
        click.echo(f"Made {shown_path(folder)}/, a copy of {exercise.step.name}/.")
    progress = read_progress()
    progress["current"] = exercise.id
    write_progress(progress)
    click.secho(f"\n{exercise.id}: {exercise.title}", bold=True)
    click.echo(exercise.task.strip())
    click.echo(
        f"\nOpen:  {shown_path(folder / exercise.file)}  ({part_name(exercise)})"
    )
    click.echo(f'Read:  "{exercise.read}" in {exercise.step.name}/README.md')
    click.echo("Then:  lessons practice check   (or: lessons practice check --watch)")


@practice.command()
@click.option("--watch", is_flag=True, help="check again every time you save")
def check(watch: bool) -> None:
    """Check the current exercise with its real tests."""
    exercise = current_exercise(read_progress())
    passed = check_on_every_save(exercise) if watch else check_once(exercise)
    sys.exit(0 if passed else 1)


@practice.command()
def hint() -> None:
    """One more hint for the current exercise (never the solution)."""
    progress = read_progress()
    exercise = current_exercise(progress)
    if not exercise.hints:
        click.echo(f'No hints for this one: read "{exercise.read}" again.')
        return
    seen = min(progress["hints"].get(exercise.id, 0) + 1, len(exercise.hints))
    progress["hints"][exercise.id] = seen
    write_progress(progress)
    for level in range(seen):
        click.echo(f"Hint {level + 1} of {len(exercise.hints)}:")
        click.echo("  " + exercise.hints[level].strip().replace("\n", "\n  "))
    if seen == len(exercise.hints):
        click.echo(
            f"That is every hint. Last resort: lessons practice solution {exercise.id}"
        )
    else:
        click.echo("Still stuck? `lessons practice hint` again gives the next one.")


@practice.command()
@click.argument("exercise_id")
@click.option("--yes", is_flag=True, help="do not ask first")
def reset(exercise_id: str, yes: bool) -> None:
    """Put the exercise's workspace back as it was at its start."""
    exercise = find_exercise(exercise_id)
    folder = workspace_of(exercise)
    if folder.is_dir() and not yes:
        click.confirm(
            f"Put {shown_path(folder)}/ back as it was? Your changes there are lost.",
            abort=True,
        )
    make_workspace(exercise, folder)
    progress = read_progress()
    progress["current"] = exercise.id
    write_progress(progress)
    click.echo(f"{shown_path(folder)}/ is as it was at the start of {exercise.id}.")


@practice.command()
@click.argument("exercise_id")
@click.option("--yes", is_flag=True, help="do not ask first")
def solution(exercise_id: str, yes: bool) -> None:
    """Show the course's own code for the exercise (asks first)."""
    exercise = find_exercise(exercise_id)
    if not yes:
        click.confirm(
            "Are you sure? Trying once more, with `lessons practice hint`, "
            "teaches more than reading the answer",
            abort=True,
        )
    click.echo(
        f"The course's {part_name(exercise)} in {exercise.step.name}/{exercise.file}:\n"
    )
    click.echo(course_part(exercise))


def main(argv: list[str]) -> int:
    """Run `lessons practice ARGV`; a LessonsError is one line and exit code 2."""
    try:
        practice.main(args=argv, prog_name="lessons practice", standalone_mode=False)
    except LessonsError as problem:
        click.echo(f"lessons practice: {problem}", err=True)
        return 2
    except click.exceptions.Abort as stopped:
        if isinstance(stopped.__cause__, KeyboardInterrupt):
            return 130  # Ctrl-C or `kill` (click turns both into Abort)
        click.echo("Nothing changed.", err=True)  # a question answered "no"
        return 1
    except click.UsageError as problem:  # one line, like the rest of `lessons`
        message = problem.format_message()
        click.echo(
            f"lessons practice: {message} (see: lessons practice --help)", err=True
        )
        return 2
    except click.ClickException as problem:
        problem.show()
        return problem.exit_code
    except KeyboardInterrupt:
        return 130
    except SystemExit as leaving:
        return leaving.code if isinstance(leaving.code, int) else 0
    return 0
