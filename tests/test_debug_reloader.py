"""`flask run --debug` in the course's .venv stays quiet while the machine is busy.

The course's .venv has watchdog (mkdocs needs it), and Werkzeug's reloader uses
it when it is there, watching the whole interpreter's tree. A watchdog that asks
for an event on every file *opened* there floods its queue whenever anything
reads Python's files ("Inotify queue overflowed") and spins a CPU, so
pyproject.toml keeps watchdog at a version that reports changes only.

The test reads many files while `flask run --debug` watches, then asks Linux
what the reloader's watches are for: on a quiet machine a flood may not show,
but a watch that asks for "opened" events always does.
"""

import os
import sys
import sysconfig
import time
from pathlib import Path

from lessons.processes import free_port, running
from lessons.steps import ROOT

STEP = ROOT / "02_flask_minimal"
# The inotify events that reading a file makes (inotify(7)): a watch that asks
# for any of them is woken by every `cat` and import in the watched trees.
IN_ACCESS, IN_CLOSE_NOWRITE, IN_OPEN = 0x1, 0x10, 0x20


def read_many_files(folders: list[Path], passes: int) -> int:
    """What a busy machine does to the reloader: open and read files, fast."""
    paths = [path for folder in folders for path in sorted(folder.rglob("*.py"))[:2000]]
    opened = 0
    for _ in range(passes):  # a count, not a time: a slow machine reads as many
        for path in paths:
            path.read_bytes()
            opened += 1
    return opened


def inotify_masks(pid: int) -> list[int]:
    """The event mask of every inotify watch that process `pid` holds.

    Linux lists them in /proc/PID/fdinfo/FD of each inotify descriptor, one
    line per watch: "inotify wd:1 ino:... sdev:... mask:7ce ignored_mask:0 ...".
    """
    masks = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        if os.readlink(fd) != "anon_inode:inotify":
            continue
        for line in Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines():
            if line.startswith("inotify "):
                fields = dict(field.split(":", 1) for field in line.split()[1:])
                masks.append(int(fields["mask"], 16))
    return masks


def test_flask_run_debug_stays_quiet_while_files_are_read(tmp_path):
    # Python's own library and the installed packages: the reloader watches
    # both, and a busy machine reads both. One server, both trees in turn.
    folders = [Path(sysconfig.get_paths()[name]) for name in ("stdlib", "purelib")]
    port = free_port()
    log = tmp_path / "flask.log"
    flask = [sys.executable, "-m", "flask", "--app", "app", "run", "--debug"]
    with running([*flask, "--port", str(port)], port, log=log, cwd=STEP) as parent:
        opened = read_many_files(folders, passes=3)
        time.sleep(0.5)  # let the reloader take in what it was told
        # `--debug` runs the app in a child process, which holds the watches.
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        masks = [
            mask
            for pid in children.read_text().split()
            for mask in inotify_masks(int(pid))
        ]
    output = log.read_text(errors="replace")
    # Thousands of reads, as on a busy machine: both trees were found.
    assert opened > 5_000, f"only {opened} files read"
    assert "Restarting with watchdog" in output  # the reloader ran, on watchdog
    assert masks, "the reloader holds no inotify watch"
    reading = [
        hex(mask) for mask in masks if mask & (IN_ACCESS | IN_CLOSE_NOWRITE | IN_OPEN)
    ]
    assert not reading, (
        f"{len(reading)} of the reloader's {len(masks)} watches ask for an event on "
        f"every read (mask {reading[0]}): is watchdog newer than pyproject.toml allows?"
    )
    assert "Inotify queue overflowed" not in output
    assert "Detected change" not in output  # reading a file is no change
