"""The `lessons` command: list, run, test, diff, db, docs, doctor, bench, practice.

Every command answers wrong input with one line that says what to do, and a
non-zero exit code; a traceback means a bug in this tool. Each command's help
is its docstring (`lessons --help`, `lessons run --help`).
"""

import contextlib
import itertools
import os
import subprocess
import sys
import time

import click

from lessons import listening, practice, processes, production, system
from lessons.errors import LessonsError
from lessons.steps import ROOT, Step, all_steps, find_step


class Port(click.ParamType):
    """A port number: a whole number from 1 to 65535."""

    name = "port"

    def convert(self, value, param, ctx) -> int:
        if str(value).isdigit() and 1 <= int(value) <= 65535:
            return int(value)
        self.fail(f"must be a number from 1 to 65535, not {value!r}", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def lessons() -> None:
    """The course tool: run, test and compare the steps of wsgi-to-flask."""
    stop_and_name_leftovers()


def stop_and_name_leftovers() -> None:
    """Stop what an earlier command left running (see processes.py), and say so."""
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
@click.option("--port", type=Port(), help="Port (step 01: 8080, Flask: 5000).")
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
def run(step, host, port, production, app_servers, your_database) -> int:
    """Serve a step (default: the newest) until Ctrl-C, on a throwaway database."""
    chosen = find_step(step) if step else all_steps()[-1]
    if production:
        return run_production(chosen, port or 8080, app_servers, your_database)
    own_server = (chosen.path / "server.py").exists()  # step 01: no Flask yet
    port = port or (8080 if own_server else 5000)
    retry = f"lessons run {chosen.number} --port {{port}}"
    retry += f" (make run STEP={chosen.number} PORT={{port}})"
    listening.check_address(host, port, retry)
    notice = listening.reach_notice(host, port)
    # The command a learner would type inside the step folder (without --debug:
    # the debugger runs code sent to it, so only you should turn it on).
    if own_server:
        command = [sys.executable, "server.py"]
    else:
        command = [sys.executable, "-m", "flask", "--app", "app", "run"]
    command += ["--host", host, "--port", str(port)]
    with step_environment(chosen, your_database) as environment:
        print(f"Step {chosen.number}: {chosen.title}")
        if notice:
            print(notice)
        print(f"$ cd {chosen.name} && python {' '.join(command[1:])}", flush=True)
        return processes.serve(command, cwd=chosen.path, env=environment)


@contextlib.contextmanager
def step_environment(step: Step, your_database: bool):
    """The environment to run the step in: a step with a `schema.sql` gets a
    database (a throwaway one, or yours) with the schema and sample data."""
    environment = dict(os.environ)
    if not (step.path / "schema.sql").exists():
        yield environment
        return
    from lessons.db_commands import database_for_run  # the database driver: late

    with database_for_run(ROOT, your_database) as settings:
        environment.update(settings)
        for command in ("init-db", "seed-db"):
            print(f"$ flask --app app {command}", flush=True)
            flask = [sys.executable, "-m", "flask", "--app", "app", command]
            if subprocess.run(flask, cwd=step.path, env=environment).returncode:
                raise LessonsError(
                    f"flask --app app {command} failed; see its message above"
                )
        yield environment


def run_production(step: Step, port: int, app_servers: int, your_database: bool):
    """Serve the step through nginx and gunicorn until Ctrl-C."""
    if not (step.path / "deploy").is_dir():
        message = f"step {step.number} has no deploy/ folder"
        raise LessonsError(f"{message}; try: lessons run 05 --production")
    retry = f"lessons run {step.number} --production --port {{port}}"
    listening.check_address("127.0.0.1", port, retry)
    with (
        step_environment(step, your_database) as environment,
        production.production_chain(
            step.path, environment, port, app_servers=app_servers
        ) as chain,
    ):
        print(f"Step {step.number} in production form: nginx -> gunicorn -> app")
        print(f"  open     {chain.url}/books")
        for app_url in chain.app_urls:
            print(f"  gunicorn {app_url} (behind nginx; debug off)")
        for name, path in chain.logs.items():
            print(f"  log      {name}: {path}")
        print("Press Ctrl-C to stop all three (nginx, gunicorn, the database).")
        sys.stdout.flush()
        try:
            while chain.nginx.poll() is None and chain.gunicorn.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nStopping nginx, gunicorn and the database...")
            return 0
        print("A server stopped by itself; see its log above.", file=sys.stderr)
        return 1


@lessons.command(context_settings={"ignore_unknown_options": True})
@click.argument("steps", nargs=-1)
# One more process than CPUs: many tests mostly wait (nginx's timers, a frozen
# database, a browser), and the extra one keeps every CPU busy meanwhile.
@click.option(
    "--jobs",
    default=(os.cpu_count() or 1) + 1,
    show_default=True,
    help="Test processes run side by side (with more than 1, a step's slow "
    "tests, which mostly wait, run beside them).",
)
def test(steps: tuple[str, ...], jobs: int) -> int:
    """Run the tests of the steps (default: all, and the course's own).

    Options after `--` go to pytest: lessons test 04 -- -k pagination
    """
    from lessons import suite

    # Step names come first (01, 1, 01_raw_wsgi); the rest is pytest's.
    names = list(itertools.takewhile(lambda arg: arg[:1].isdigit(), steps))
    pytest_args = list(steps[len(names) :])
    chosen = [find_step(name) for name in names] or all_steps()
    return suite.run_suite(chosen, not names, pytest_args, jobs)


@lessons.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--write", is_flag=True, help="Update docs/diffs/NN.md (the docs).")
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
@click.option("--port", type=Port(), default=8000, show_default=True, help="Port.")
def docs(host: str, port: int) -> int:
    """Serve the docs site, rebuilding when the docs or any step change.

    --host 0.0.0.0 serves it to every network this machine is on (a classroom).
    """
    retry = "lessons docs --port {port} (make docs PORT={port})"
    listening.check_address(host, port, retry)
    notice = listening.reach_notice(host, port)
    if notice:
        click.echo(notice)
    origin = f"http://{host}:{port}"
    if host == listening.EVERY_NETWORK:
        origin = f"http://<this machine's address>:{port}"
    # The "Try it live" page needs an API that allows the docs' origin; the API
    # allows the default origins of step 05's cors.py unless told otherwise.
    if origin not in production.default_origins(all_steps()[-1].path).split(","):
        click.echo(
            "The Try it live page needs an API that allows this origin: "
            f"CORS_ORIGINS={origin} make run"
        )
    watch = [f"--watch={step.name}" for step in all_steps()]
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"{host}:{port}", *watch]
    # Material's notice about MkDocs 2.0 is not for us: we pin mkdocs < 2.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return processes.serve(command, cwd=ROOT, env=environment)


@lessons.command()
def doctor() -> int:
    """Check this machine and say how to fix what is missing."""
    problems = system.doctor()
    for problem in problems:
        click.echo(f"to fix: {problem}")
    return 1 if problems else 0


@lessons.command()
@click.argument("names", nargs=-1)
@click.option("--write", is_flag=True, help="Run all; save docs/measurements/.")
def bench(names: tuple[str, ...], write: bool) -> int:
    """Measure what the lessons claim (default: every benchmark)."""
    from lessons import bench as benchmarks

    return benchmarks.main(list(names), write)


# `lessons practice ...`: the exercises, a click group of their own (practice.py).
lessons.add_command(practice.practice)


def main(argv: list[str] | None = None) -> int:
    """Entry point: usage mistakes and LessonsErrors are one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    # SIGTERM (`kill`, a closed terminal) stops a command like Ctrl-C does, so
    # what it started is stopped too.
    if argv[:1] == ["practice"]:  # its own messages and exit codes (0, 1 or 2)
        stop_and_name_leftovers()
        with processes.interrupt_on_termination():
            return practice.main(argv[1:])
    try:
        with processes.interrupt_on_termination():
            code = lessons.main(argv, prog_name="lessons", standalone_mode=False)
    except click.UsageError as problem:
        where = problem.ctx.command_path if problem.ctx else "lessons"
        message = f"{where}: {problem.format_message()} (see: {where} --help)"
        click.echo(message, err=True)
        return 2
    except LessonsError as problem:
        click.echo(f"lessons: {problem}", err=True)
        return 2
    except (KeyboardInterrupt, click.Abort):
        return 130
    return code if isinstance(code, int) else 0
