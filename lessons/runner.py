"""`lessons run NN`: serve a step the way its README tells you to.

Step 01 runs on its own from-scratch server; the Flask steps run with `flask run`
(without --debug: the debugger runs code sent to it, so only you should turn it on,
in your own terminal). Steps with a `schema.sql` get a database first: a throwaway
server (or yours, when MYSQL_HOST is set) with the schema and sample data loaded.
"""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from lessons import listening, processes, production
from lessons.db_commands import database_for_run
from lessons.errors import LessonsError
from lessons.steps import ROOT, Step


class RunError(LessonsError):
    """A problem with running a step; its message says how to fix it."""


def server_command(step: Step, host: str, port: int) -> list[str]:
    """The command a learner would type inside the step folder."""
    if (step.path / "server.py").exists():
        command = [sys.executable, "server.py"]
    else:
        command = [sys.executable, "-m", "flask", "--app", "app", "run"]
    return [*command, "--host", host, "--port", str(port)]


@contextlib.contextmanager
def database_environment(
    step: Step, your_server: bool = False
) -> Iterator[dict[str, str]]:
    """The environment for the step: with MYSQL_* settings when it needs a database."""
    environment = dict(os.environ)
    if not (step.path / "schema.sql").exists():
        yield environment
        return
    with database_for_run(ROOT, your_server) as settings:
        environment.update(settings)
        for command in ("init-db", "seed-db"):
            print(f"$ flask --app app {command}", flush=True)
            flask = [sys.executable, "-m", "flask", "--app", "app", command]
            done = subprocess.run(flask, cwd=step.path, env=environment, check=False)
            if done.returncode != 0:
                raise RunError(
                    f"flask --app app {command} failed; see its message above"
                )
        yield environment


def run_step(step: Step, host: str, port: int, your_server: bool = False) -> int:
    """Serve the step until Ctrl-C; return the server's exit code."""
    retry = f"lessons run {step.number} --port {{port}}"
    retry += f" (make run STEP={step.number} PORT={{port}})"
    listening.check_address(host, port, retry)
    notice = listening.reach_notice(host, port)
    with database_environment(step, your_server) as environment:
        command = server_command(step, host, port)
        print(f"Step {step.number}: {step.title}")
        if notice:
            print(notice)
        print(f"$ cd {step.name} && python {' '.join(command[1:])}", flush=True)
        return processes.serve(command, cwd=step.path, env=environment)


def run_production(
    step: Step, port: int, app_servers: int = 1, your_server: bool = False
) -> int:
    """Serve the step through nginx and gunicorn until Ctrl-C."""
    if not (step.path / "deploy").is_dir():
        message = f"step {step.number} has no deploy/ folder"
        raise RunError(f"{message}; try: lessons run 05 --production")
    retry = f"lessons run {step.number} --production --port {{port}}"
    listening.check_address("127.0.0.1", port, retry)
    with (
        database_environment(step, your_server) as environment,
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
