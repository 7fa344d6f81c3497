"""The production chain on your own machine: nginx -> gunicorn -> the step 05 app.

Both servers run as your own processes on loopback, with every path they write
(pid files, logs, nginx's buffers) inside one temporary folder: no root, no system
service, nothing left behind but the logs. Both die with the process that started
them, even when it is killed (lessons/processes.py).
"""

import ast
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lessons import system
from lessons.errors import LessonsError
from lessons.processes import free_port, running

# deploy/README.md's command, run from the step folder.
GUNICORN_COMMAND = [sys.executable, "-m", "gunicorn"]
GUNICORN_COMMAND += ["--config", "deploy/gunicorn.conf.py", "deploy.wsgi:app"]


@dataclass
class Chain:
    """The running chain: where to send requests and where each layer logs."""

    url: str  # nginx, the front door
    app_url: str  # gunicorn directly, behind nginx
    folder: Path  # the temporary folder with the logs
    gunicorn: subprocess.Popen
    nginx: subprocess.Popen
    app_servers: list[subprocess.Popen]  # every gunicorn; the first is `gunicorn`
    app_urls: list[str]  # each gunicorn's own URL, in the same order
    logs: dict[str, Path]  # "nginx access", "nginx errors", "gunicorn", "gunicorn-2"...


def default_origins(step_path: Path) -> str:
    """The step's own default for CORS_ORIGINS (DEFAULT_ORIGINS in its cors.py)."""
    tree = ast.parse((step_path / "cors.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == (
            "DEFAULT_ORIGINS"
        ):
            return ast.literal_eval(node.value)
    raise LessonsError(f"{step_path.name}/cors.py has no DEFAULT_ORIGINS")


def nginx_config(template: Path, values: dict[str, object], origins: str) -> str:
    """deploy/nginx.conf.template with its {{...}} placeholders filled in."""
    lines = []  # of nginx's `map $http_origin $cors_origin`, one per origin
    for origin in (part.strip() for part in origins.split(",")):
        if origin == "*":
            lines.append('default "*";')  # anyone (the app refuses "null")
        elif origin and origin != "null":
            # ~: a case-sensitive regular expression; a plain string ignores case.
            lines.append(f'"~^{re.escape(origin)}$" $http_origin;')
    # The placeholders are indented in the template; so is every further line.
    values["CORS_ORIGIN_LINES"] = "\n        ".join(lines) or "# no origins allowed"
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", str(value))
    return text


@contextlib.contextmanager
def production_chain(
    step_path: Path,
    settings: dict[str, str],
    port: int | None = None,
    workers: int = 2,
    keep_logs: bool = True,
    app_servers: int = 1,
) -> Iterator[Chain]:
    """Run gunicorn and nginx for the `with` block; stop both afterwards.

    `settings` are the app's (MYSQL_*, CORS_ORIGINS). `app_servers` gunicorns of
    `workers` workers each share one nginx `upstream`. The logs stay in the
    chain's folder unless `keep_logs` is False (the tests).
    """
    nginx = system.find("nginx")
    if nginx is None:
        raise LessonsError(system.missing_message("nginx"))
    port = port or free_port()
    gunicorn_ports = [free_port() for _ in range(app_servers)]
    names = ["gunicorn"] + [f"gunicorn-{n}" for n in range(2, app_servers + 1)]
    # In /tmp, readable by all: when root starts nginx, its workers run as
    # "nobody" and must still reach their buffer folders.
    folder = Path(tempfile.mkdtemp(prefix="lessons-production-"))
    folder.chmod(0o755)
    logs = {"nginx access": folder / "access.log", "nginx errors": folder / "error.log"}
    logs |= {name: folder / f"{name}.log" for name in names}
    # nginx and the app must allow the same origins: one list for both.
    origins = settings.get("CORS_ORIGINS") or os.environ.get("CORS_ORIGINS")
    origins = origins or default_origins(step_path)
    upstream = [f"server 127.0.0.1:{number};" for number in gunicorn_ports]
    values = {"PREFIX": folder, "PORT": port}
    values["UPSTREAM_SERVERS"] = "\n        ".join(upstream)
    template = step_path / "deploy" / "nginx.conf.template"
    (folder / "nginx.conf").write_text(nginx_config(template, values, origins))

    environment = {**os.environ, **settings, "CORS_ORIGINS": origins}
    environment["GUNICORN_WORKERS"] = str(workers)
    # A chain whose logs nobody keeps (a test's) has no request left to finish
    # and nobody to read how it ended: it is stopped at once (SIGKILL) instead
    # of gracefully (SIGTERM, which costs gunicorn ~0.4 s).
    at_once = not keep_logs
    with contextlib.ExitStack() as stack:
        if not keep_logs:
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
        gunicorns = []
        try:
            for name, gunicorn_port in zip(names, gunicorn_ports, strict=True):
                bind = {"GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}"}
                server = running(
                    GUNICORN_COMMAND,
                    gunicorn_port,
                    logs[name],
                    at_once,
                    cwd=step_path,
                    env=environment | bind,
                )
                gunicorns.append(stack.enter_context(server))
            command = [nginx, "-p", folder, "-c", folder / "nginx.conf", "-e", "stderr"]
            server = running(command, port, logs["nginx errors"], at_once)
            nginx_process = stack.enter_context(server)  # the first to stop
        except RuntimeError as error:
            raise LessonsError(f"the production chain did not start: {error}") from None
        yield Chain(
            url=f"http://127.0.0.1:{port}",
            app_url=f"http://127.0.0.1:{gunicorn_ports[0]}",
            folder=folder,
            gunicorn=gunicorns[0],
            nginx=nginx_process,
            app_servers=gunicorns,
            app_urls=[f"http://127.0.0.1:{number}" for number in gunicorn_ports],
            logs=logs,
        )
