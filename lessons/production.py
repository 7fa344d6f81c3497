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
from lessons.processes import free_port, start, stop, wait_for_port

# deploy/README.md's command, run from the step folder.
GUNICORN_COMMAND = [sys.executable, "-m", "gunicorn"]
GUNICORN_COMMAND += ["--config", "deploy/gunicorn.conf.py", "deploy.wsgi:app"]


class ChainError(LessonsError):
    """nginx or gunicorn is missing or did not start; the message says why."""


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

    @property
    def logs(self) -> dict[str, Path]:
        """Each layer's log file: "gunicorn" is the first app server's."""
        logs = {"nginx access": "access.log", "nginx errors": "error.log"}
        for number in range(1, len(self.app_servers) + 1):
            name = "gunicorn" if number == 1 else f"gunicorn-{number}"
            logs[name] = f"{name}.log"
        return {name: self.folder / file for name, file in logs.items()}


def default_origins(step_path: Path) -> str:
    """The step's own default for CORS_ORIGINS (DEFAULT_ORIGINS in its cors.py)."""
    tree = ast.parse((step_path / "cors.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == (
            "DEFAULT_ORIGINS"
        ):
            return ast.literal_eval(node.value)
    raise ChainError(f"{step_path.name}/cors.py has no DEFAULT_ORIGINS")


def cors_origin_lines(origins: str) -> str:
    """The lines of nginx's `map $http_origin $cors_origin` for CORS_ORIGINS."""
    lines = []
    for origin in (part.strip() for part in origins.split(",")):
        if origin == "*":
            lines.append('default "*";')  # anyone (the app refuses "null")
        elif origin and origin != "null":
            # ~: a case-sensitive regular expression; a plain string ignores case.
            lines.append(f'"~^{re.escape(origin)}$" $http_origin;')
    # The placeholder is indented in the template; so is every further line.
    return "\n        ".join(lines) or "# no origins allowed"


def nginx_config(
    template: Path, folder: Path, port: int, gunicorn_ports: list[int], origins: str
) -> str:
    """Fill the {{...}} placeholders of deploy/nginx.conf.template."""
    text = template.read_text(encoding="utf-8")
    servers = [f"server 127.0.0.1:{number};" for number in gunicorn_ports]
    values = {
        "PREFIX": str(folder),
        "PORT": port,
        "UPSTREAM_SERVERS": "\n        ".join(servers),
        "CORS_ORIGIN_LINES": cors_origin_lines(origins),
    }
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
        raise ChainError(system.missing_message("nginx"))
    port = port or free_port()
    gunicorn_ports = [free_port() for _ in range(app_servers)]
    # In /tmp, readable by all: when root starts nginx, its workers run as
    # "nobody" and must still reach their buffer folders.
    folder = Path(tempfile.mkdtemp(prefix="lessons-production-"))
    folder.chmod(0o755)
    config = folder / "nginx.conf"
    template = step_path / "deploy" / "nginx.conf.template"
    # nginx and the app must allow the same origins: one list for both.
    origins = settings.get("CORS_ORIGINS") or os.environ.get("CORS_ORIGINS")
    origins = origins or default_origins(step_path)
    config.write_text(nginx_config(template, folder, port, gunicorn_ports, origins))

    environment = {**os.environ, **settings, "CORS_ORIGINS": origins}
    environment["GUNICORN_WORKERS"] = str(workers)
    gunicorns = []
    for number, gunicorn_port in enumerate(gunicorn_ports, start=1):
        log = folder / ("gunicorn.log" if number == 1 else f"gunicorn-{number}.log")
        bind = {"GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}"}
        with log.open("ab") as output:
            process = start(GUNICORN_COMMAND, cwd=step_path, env=environment | bind,
                            stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
        gunicorns.append(process)
    nginx_command = [nginx, "-p", str(folder), "-c", str(config), "-e", "stderr"]
    nginx_process = None
    try:
        try:
            for gunicorn_port, gunicorn in zip(gunicorn_ports, gunicorns, strict=True):
                wait_for_port(gunicorn_port, process=gunicorn, timeout=30)
            with (folder / "error.log").open("ab") as output:
                nginx_process = start(
                    nginx_command, stdout=output, stderr=subprocess.STDOUT
                )
            wait_for_port(port, process=nginx_process, timeout=15)
        except (RuntimeError, TimeoutError) as error:
            message = f"the production chain did not start: {error}"
            for path in sorted(folder.glob("*.log")):  # why it did not start
                text = path.read_text(errors="replace")[-3000:]
                message += f"\n--- {path.name} ---\n{text}"
            raise ChainError(message) from None
        yield Chain(
            url=f"http://127.0.0.1:{port}",
            app_url=f"http://127.0.0.1:{gunicorn_ports[0]}",
            folder=folder,
            gunicorn=gunicorns[0],
            nginx=nginx_process,
            app_servers=gunicorns,
            app_urls=[f"http://127.0.0.1:{number}" for number in gunicorn_ports],
        )
    finally:
        if nginx_process is not None:
            stop(nginx_process)
        for gunicorn in gunicorns:
            stop(gunicorn)
        if not keep_logs:
            shutil.rmtree(folder, ignore_errors=True)
