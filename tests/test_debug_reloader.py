"""`flask run --debug` in the course's .venv stays quiet while the machine is busy.

The course's .venv has watchdog (mkdocs needs it), and Werkzeug's reloader uses
it when it is there, watching the whole interpreter's tree. A watchdog that asks
for an event on every file *opened* there floods its queue whenever anything
reads Python's files ("Inotify queue overflowed") and spins a CPU, so
pyproject.toml keeps watchdog at a version that reports changes only.
"""

import sys
import sysconfig
import time
from pathlib import Path

import pytest

from lessons.processes import free_port, running
from lessons.steps import ROOT

STEP = ROOT / "02_flask_minimal"


def read_many_files(folder: Path, seconds: float) -> int:
    """What a busy machine does to the reloader: open and read files, fast."""
    paths = sorted(folder.rglob("*.py"))[:2000]
    opened = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in paths:
            path.read_bytes()
            opened += 1
    return opened


@pytest.mark.parametrize("folder", ["stdlib", "purelib"])
def test_flask_run_debug_stays_quiet_while_files_are_read(tmp_path, folder):
    port = free_port()
    log = tmp_path / "flask.log"
    flask = [sys.executable, "-m", "flask", "--app", "app", "run", "--debug"]
    with running([*flask, "--port", str(port)], port, log=log, cwd=STEP):
        opened = read_many_files(Path(sysconfig.get_paths()[folder]), seconds=3)
        time.sleep(1)  # let the reloader take in what it was told
    output = log.read_text(errors="replace")
    assert opened > 10_000
    assert "Restarting with" in output  # the reloader ran
    assert "Inotify queue overflowed" not in output
    assert "Detected change" not in output  # reading a file is no change
