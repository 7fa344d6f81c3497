"""The `lessons` command: list, run, test, diff, db, docs, doctor, bench, practice.

Every command answers wrong input with one line that says what to do, and a
non-zero exit code; a traceback means a bug in this tool.
"""

import argparse
import subprocess
import sys

from lessons import doctor, suite
from lessons.diff import diff_steps, write_docs_diffs
from lessons.errors import LessonsError
from lessons.steps import ROOT, UnknownStep, all_steps, find_step

DOCS_ADDRESS = "127.0.0.1:8000"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line plus where to look for help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def port_number(text: str) -> int:
    """argparse type for --port: a whole number from 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"--port must be a number from 1 to 65535, not {text!r}"
        )
    return int(text)


def command_list(arguments: argparse.Namespace) -> int:
    """Print every step with its title, summary and the system parts it needs."""
    for step in all_steps():
        needs = ", ".join(step.needs) or "nothing beyond Python"
        print(f"{step.number}  {step.title}")
        print(f"    {step.summary}")
        print(f"    folder: {step.name}/   needs: {needs}")
    return 0


def command_run(arguments: argparse.Namespace) -> int:
    """Serve one step (the newest by default) until Ctrl-C."""
    # Imported here, as in the other commands that need the database driver:
    # `lessons doctor` must work even before the packages are installed.
    from lessons import runner

    step = find_step(arguments.step) if arguments.step else all_steps()[-1]
    # Step 01's README uses port 8080 (its server's default); Flask's is 5000.
    default_port = 8080 if (step.path / "server.py").exists() else 5000
    if arguments.production:
        return runner.run_production(step, arguments.port or 8080)
    return runner.run_step(step, arguments.host, arguments.port or default_port)


def command_test(arguments: argparse.Namespace) -> int:
    """Run the tests of the chosen steps (all, plus the course's own, by default)."""
    steps = [find_step(wanted) for wanted in arguments.steps] or all_steps()
    return suite.run_suite(steps, not arguments.steps, arguments.pytest_args)


def command_diff(arguments: argparse.Namespace) -> int:
    """Print what changed from one step to another (or --write the docs' diffs)."""
    if arguments.write:
        for path in write_docs_diffs(all_steps(), ROOT / "docs" / "diffs"):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if not (arguments.old and arguments.new):
        raise UnknownStep("name two steps, e.g. lessons diff 03 04")
    old, new = find_step(arguments.old), find_step(arguments.new)
    sys.stdout.write(diff_steps(old.path, new.path))
    return 0


def command_db(arguments: argparse.Namespace) -> int:
    """Start, stop or inspect the throwaway database server."""
    from lessons import mysql

    actions = {
        "start": mysql.db_start,
        "stop": mysql.db_stop,
        "status": mysql.db_status,
        "env": mysql.db_env,
        "shell": mysql.db_shell,
    }
    return actions[arguments.action](ROOT)


def command_docs(arguments: argparse.Namespace) -> int:
    """Serve the docs site, rebuilding when the docs or any step change."""
    watch = [f"--watch={step.name}" for step in all_steps()]
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", DOCS_ADDRESS, *watch]
    try:
        return subprocess.run(command, cwd=ROOT, check=False).returncode
    except KeyboardInterrupt:
        return 0


def command_bench(arguments: argparse.Namespace) -> int:
    """Measure what the lessons claim; --write puts the tables in the docs."""
    from lessons import bench  # imported here: only this command needs it

    return bench.main(arguments.names, write=arguments.write)


def command_doctor(arguments: argparse.Namespace) -> int:
    """Check the machine and say how to fix what is missing."""
    problems = doctor.check()
    for problem in problems:
        print(f"to fix: {problem}")
    return 1 if problems else 0


def build_parser() -> Parser:
    """The command line: one sub-command per thing a learner does."""
    parser = Parser(prog="lessons", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    commands.add_parser("list", help="list the steps").set_defaults(run=command_list)

    run = commands.add_parser("run", help="serve a step (default: the newest)")
    run.add_argument("step", nargs="?", help="step number, e.g. 01")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=port_number, default=None)
    run.add_argument(
        "--production",
        action="store_true",
        help="step 05 only: serve through nginx and gunicorn (port 8080)",
    )
    run.set_defaults(run=command_run)

    test = commands.add_parser("test", help="run the tests, one process per step")
    test.add_argument("steps", nargs="*", help="step numbers (default: all)")
    test.add_argument(
        "--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed to pytest"
    )
    test.set_defaults(run=command_test)

    diff = commands.add_parser("diff", help="what changed between two steps")
    diff.add_argument("old", nargs="?")
    diff.add_argument("new", nargs="?")
    diff.add_argument(
        "--write",
        action="store_true",
        help="update docs/diffs/NN.diff for every step (the docs show them)",
    )
    diff.set_defaults(run=command_diff)

    db = commands.add_parser("db", help="the throwaway database server")
    db.add_argument("action", choices=["start", "stop", "status", "env", "shell"])
    db.set_defaults(run=command_db)

    commands.add_parser("docs", help="serve the docs site").set_defaults(
        run=command_docs
    )
    commands.add_parser("doctor", help="check this machine").set_defaults(
        run=command_doctor
    )

    bench = commands.add_parser("bench", help="run the benchmarks")
    bench.add_argument("names", nargs="*", help="which ones (default: all)")
    bench.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    bench.set_defaults(run=command_bench)
    # Listed here for --help; main() hands `lessons practice ...` to its click group.
    commands.add_parser("practice", help="exercises: list | start | check | hint")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lessons` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["practice"]:  # a click group of its own (lessons/practice.py)
        from lessons import practice

        return practice.main(argv[1:])
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except LessonsError as problem:
        print(f"lessons: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
