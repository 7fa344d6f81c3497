"""The production chain on your own machine: nginx -> gunicorn -> the step 05 app.

Both servers run as your own processes on loopback, with every path they write
(pid files, logs, nginx's buffers) inside one temporary folder: no root, no system
service, nothing left behind but the logs.
"""

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
from lessons.processes import free_port, stop, wait_for_port

# deploy/README.md's command, run from the step folder.
GUNICORN_COMMAND = [
    sys.executable,
    "-m",
    "gunicorn",
    "--config",
    "deploy/gunicorn.conf.py",
    "deploy.wsgi:app",
]


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
        """Each layer's log file."""
        return {
            "nginx access": self.folder / "access.log",
            "nginx errors": self.folder / "error.log",
            **{name: self.folder / f"{name}.log" for name in gunicorn_names(self)},
        }


# The docs site's origins (`make docs`): the step's own default for CORS_ORIGINS.
DOCS_ORIGINS = "http://127.0.0.1:8000,http://localhost:8000"


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


def gunicorn_names(chain: "Chain") -> list[str]:
    """Log names: "gunicorn" for the first app server, "gunicorn-2", ... after it."""
    count = len(chain.app_servers)
    return ["gunicorn"] + [f"gunicorn-{number}" for number in range(2, count + 1)]


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


def start(command: list[str], log: Path, **options) -> subprocess.Popen:
    """Start a server in its own process group, its output going to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **options,
        )


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

    `settings` are the app's: the MYSQL_* values, and CORS_ORIGINS if set.
    `app_servers` gunicorns (each with `workers` workers, on its own port) share
    the one database, behind one nginx `upstream`.

    The logs stay in the chain's folder for you to read, unless `keep_logs` is
    False (the tests), when the whole folder is removed at the end.
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
    origins = settings.get("CORS_ORIGINS") or os.environ.get(
        "CORS_ORIGINS", DOCS_ORIGINS
    )
    config.write_text(nginx_config(template, folder, port, gunicorn_ports, origins))

    environment = {
        **os.environ,
        **settings,
        "CORS_ORIGINS": origins,
        "GUNICORN_WORKERS": str(workers),
    }
    gunicorns = []
    for number, gunicorn_port in enumerate(gunicorn_ports, start=1):
        log = folder / ("gunicorn.log" if number == 1 else f"gunicorn-{number}.log")
        bind = {"GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}"}
        gunicorns.append(
            start(GUNICORN_COMMAND, log, cwd=step_path, env={**environment, **bind})
        )
    nginx_command = [nginx, "-p", str(folder), "-c", str(config), "-e", "stderr"]
    nginx_process = None
    try:
        try:
            for gunicorn_port, gunicorn in zip(gunicorn_ports, gunicorns, strict=True):
                wait_for_port(gunicorn_port, process=gunicorn, timeout=30)
            nginx_process = start(nginx_command, folder / "error.log")
            wait_for_port(port, process=nginx_process, timeout=15)
        except (RuntimeError, TimeoutError) as error:
            message = f"the production chain did not start: {error}"
            raise ChainError(message + log_tails(folder)) from None
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


def log_tails(folder: Path) -> str:
    """The end of each log in `folder`, to show why a server did not start."""
    tails = []
    for path in sorted(folder.glob("*.log")):
        text = path.read_text(errors="replace")[-3000:]
        tails.append(f"\n--- {path.name} ---\n{text}")
    return "".join(tails)
