"""The `lessons` command: list, run, test, diff, db, docs, doctor and bench.

Every command answers wrong input with one line that says what to do, and a
non-zero exit code; a traceback means a bug in this tool. Each command's help
is its docstring (`lessons --help`, `lessons run --help`).
"""

import os
import sys

import click

from lessons import listening, practice, processes
from lessons.errors import LessonsError
from lessons.steps import ROOT, all_steps, find_step

# The API allows the docs site at these by default (step 05, CORS_ORIGINS).
DOCS_HOSTS = ("127.0.0.1", "localhost")
DOCS_PORT = 8000


class Port(click.ParamType):
    """A port number: a whole number from 1 to 65535."""

    name = "port"

    def convert(self, value, param, ctx) -> int:
        """The number, or a usage error that says what a port is."""
        if str(value).isdigit() and 1 <= int(value) <= 65535:
            return int(value)
        self.fail(f"must be a number from 1 to 65535, not {value!r}", param, ctx)


PORT = Port()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def lessons() -> None:
    """The course tool: run, test and compare the steps of wsgi-to-flask."""
    for pid in processes.stop_leftovers():
        click.echo(f"Stopped process {pid}, left running by an earlier command.")


@lessons.command("list")
def list_steps() -> None:
    """List the steps with their titles and what they need."""
    for step in all_steps():
        click.echo(f"{step.number}  {step.title}")
        click.echo(f"    {step.summary}")
        needs = ", ".join(step.needs) or "nothing beyond Python"
        click.echo(f"    folder: {step.name}/   needs: {needs}")


@lessons.command()
@click.argument("step", required=False)
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", type=PORT, help="Port (step 01: 8080, Flask: 5000).")
@click.option(
    "--production", is_flag=True, help="Step 05: serve through nginx and gunicorn."
)
@click.option(
    "--app-servers",
    type=click.IntRange(1, 8),
    default=1,
    metavar="N",
    help="With --production: N gunicorns (1-8) behind one nginx upstream.",
)
@click.option(
    "--your-database",
    is_flag=True,
    help="Steps 04-05: use your MYSQL_* server (its books table is rebuilt).",
)
def run(
    step: str | None,
    host: str,
    port: int | None,
    production: bool,
    app_servers: int,
    your_database: bool,
) -> int:
    """Serve a step (default: the newest) until Ctrl-C, on a throwaway database."""
    from lessons import runner  # needs the database driver; doctor must not

    chosen = find_step(step) if step else all_steps()[-1]
    if production:
        return runner.run_production(chosen, port or 8080, app_servers, your_database)
    default_port = 8080 if (chosen.path / "server.py").exists() else 5000
    return runner.run_step(chosen, host, port or default_port, your_database)


@lessons.command(context_settings={"ignore_unknown_options": True})
@click.argument("steps", nargs=-1)
@click.option("--jobs", default=2, show_default=True, help="Steps run side by side.")
def test(steps: tuple[str, ...], jobs: int) -> int:
    """Run the tests of the steps (default: all, and the course's own).

    Options after `--` go to pytest: lessons test 04 -- -k pagination
    """
    from lessons import suite

    # Step names come first (01, 1, 01_raw_wsgi); the rest is pytest's.
    count = next(
        (i for i, arg in enumerate(steps) if not arg[:1].isdigit()), len(steps)
    )
    names, pytest_args = list(steps[:count]), list(steps[count:])
    chosen = [find_step(name) for name in names] or all_steps()
    return suite.run_suite(chosen, not names, pytest_args, jobs)


@lessons.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--write", is_flag=True, help="Update docs/diffs/NN.diff (the docs).")
@click.option("--all", "everything", is_flag=True, help="Tests, READMEs, data too.")
def diff(old: str | None, new: str | None, write: bool, everything: bool) -> None:
    """Print what one step changed in the code of the one before: the lesson."""
    from lessons.diff import diff_steps, write_docs_diffs

    if write:
        for path in write_docs_diffs(all_steps(), ROOT / "docs" / "diffs"):
            click.echo(f"wrote {path.relative_to(ROOT)}")
        return
    if not (old and new):
        raise LessonsError("name two steps, e.g. lessons diff 03 04")
    lesson = diff_steps(find_step(old).path, find_step(new).path, everything)
    click.echo(lesson, nl=False)


@lessons.command()
@click.argument(
    "action", type=click.Choice(["start", "stop", "status", "env", "shell"])
)
def db(action: str) -> int:
    """Start, stop or inspect the throwaway database server."""
    from lessons import db_commands

    return getattr(db_commands, f"db_{action}")(ROOT)


@lessons.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
@click.option("--port", type=PORT, default=8000, show_default=True, help="Port.")
def docs(host: str, port: int) -> int:
    """Serve the docs site, rebuilding when the docs or any step change.

    --host 0.0.0.0 serves it to every network this machine is on (a classroom).
    """
    listening.check_address(
        host, port, "lessons docs --port {port} (make docs PORT={port})"
    )
    for line in (listening.reach_notice(host, port), live_page_notice(host, port)):
        if line:
            click.echo(line)
    watch = [f"--watch={step.name}" for step in all_steps()]
    address = f"{host}:{port}"
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", address, *watch]
    # Material's notice about MkDocs 2.0 is not for us: we pin mkdocs < 2.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return processes.serve(command, cwd=ROOT, env=environment)


def live_page_notice(host: str, port: int) -> str | None:
    """What the API needs so the "Try it live" page works from this address."""
    if host in DOCS_HOSTS and port == DOCS_PORT:
        return None  # an origin the API allows by default (CORS_ORIGINS)
    origin = f"http://{host}:{port}"
    if host == listening.EVERY_NETWORK:
        origin = f"http://<this machine's address>:{port}"
    return (
        f"The Try it live page needs an API that allows this origin: "
        f"CORS_ORIGINS={origin} make run"
    )


@lessons.command()
def doctor() -> int:
    """Check this machine and say how to fix what is missing."""
    from lessons import doctor as checks

    problems = checks.check()
    for problem in problems:
        click.echo(f"to fix: {problem}")
    return 1 if problems else 0


@lessons.command()
@click.argument("names", nargs=-1)
@click.option("--write", is_flag=True, help="Run all, then rewrite docs/benchmarks.md.")
def bench(names: tuple[str, ...], write: bool) -> int:
    """Measure what the lessons claim (default: every benchmark)."""
    from lessons import bench as benchmarks

    return benchmarks.main(list(names), write)


# `lessons practice ...`: the exercises, a click group of their own (practice.py).
lessons.add_command(practice.practice)


def main(argv: list[str] | None = None) -> int:
    """Entry point: usage mistakes and LessonsErrors are one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["practice"]:  # its own messages and exit codes (0, 1 or 2)
        return practice.main(argv[1:])
    try:
        with processes.interrupt_on_termination():
            code = lessons.main(argv, prog_name="lessons", standalone_mode=False)
    except click.UsageError as problem:
        where = problem.ctx.command_path if problem.ctx else "lessons"
        click.echo(
            f"{where}: {problem.format_message()} (see: {where} --help)", err=True
        )
        return 2
    except LessonsError as problem:
        click.echo(f"lessons: {problem}", err=True)
        return 2
    except (KeyboardInterrupt, click.Abort):
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
