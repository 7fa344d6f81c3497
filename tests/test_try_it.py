"""Every "Try it" in the READMEs, replayed: commands print what the README shows.

A "Try it" section is a series of command blocks (```bash), each one followed
by the output it prints (```text). This test types every command into one
terminal, as a learner would (so `cd` and variables carry over from one block to
the next), and compares what it printed with the page, after `normalized()` has
blanked the few things that truly differ between runs: dates, times, passwords,
process ids. Anything else that differs fails the test, naming the page, the
command and the first line that differs.

A step README's "Run it" section says how to start the step: its commands run
first, and the last one (the server) keeps running while "Try it" is replayed.

A command that cannot be replayed here (it stops the database, or needs a
browser) has a comment on the line before its block, which readers of the page
do not see:

    <!-- not replayed: it stops the database server -->

Such blocks are skipped visibly: the test says how many, and why.

A block that only makes a throwaway venv (`python3 -m venv NAME`, then
`NAME/bin/pip install ...`, with no output on the page) is run once per machine:
in .lessons/try-it/, by the block's own commands, like the initialised database
folder. The page's folder then gets a link to that venv. A changed block (a new
Black version) or another Python makes a new one; `make clean` removes them.
"""

import fcntl
import hashlib
import os
import pty
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from lessons.processes import free_port, running, start, stop, wait_for_port
from lessons.pytest_plugin import require_part
from lessons.steps import ROOT, all_steps

STEPS = {step.number: step for step in all_steps()}
NEEDS_DATABASE = {"04", "05"}
# Pages beside the steps that have a "Try it"; their commands start at the root.
PAGES = [
    "docs/concepts/pyproject.md",
    "docs/concepts/flask-vs-django.md",
    "docs/concepts/pycache.md",
    "docs/instructors/index.md",
]
PAGES += [f"docs/instructors/{step.name}.md" for step in all_steps()]

SECTION = r"^## {}\n(.*?)(?=^## |\Z)"
BLOCK = re.compile(
    r"(?:^<!-- not replayed: (?P<reason>.*?) -->\n)?"
    r"^```(?P<language>bash|text)\n(?P<body>.*?)^```\n",
    re.MULTILINE | re.DOTALL,
)

# The port a README's server listens on: flask run's, and step 01's server.py's.
USUAL_PORT = {"flask": 5000, "python": 8080}

# Lines of "Run it" that set up a learner's own environment (a venv, the
# packages, the course's throwaway database). The test already runs in an
# environment that has all of them; test_requirements.py proves the venv path.
SETUP_LINES = ("python3 -m venv", "source ", "pip install", "../.venv/bin/lessons")
SETUP_LINES += ("eval ",)

# What differs between two honest runs, and nothing else.
VARYING = [
    # What a terminal shows as formatting, not as characters: colours and bold
    # (curl bolds header names), and links (curl makes Location one).
    (re.compile(r"\x1b\[[0-9;]*m|\x1b\][^\x1b]*\x1b\\"), ""),
    (re.compile(r"^Date: .*$", re.MULTILINE), "Date: <date>"),
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d([.,]\d+)?(Z|[+-]\d\d:\d\d)?"),
        "<timestamp>",
    ),
    (re.compile(r"\d\d/\w{3}/\d{4}[ :]\d\d:\d\d:\d\d( [+-]\d{4})?"), "<timestamp>"),
    (re.compile(r"(MYSQL_PORT=)\d+"), r"\1<port>"),
    (re.compile(r"(MYSQL_PASSWORD=)\S+"), r"\1<password>"),
    (re.compile(r"\bpid \d+"), "pid <pid>"),
    (re.compile(r"Debugger PIN: [\d-]+"), "Debugger PIN: <pin>"),
]
# The methods in an Allow header come in a different order from run to run.
ALLOW = re.compile(r"^Allow: (.*)$", re.MULTILINE)


def normalized(text: str) -> list[str]:
    """The text's lines, with what varies between runs blanked out."""
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    text = ALLOW.sub(lambda m: "Allow: " + ", ".join(sorted(m[1].split(", "))), text)
    return [line.rstrip() for line in text.rstrip().splitlines()]


@dataclass
class Example:
    """One command of a "Try it" section, and the output the page shows for it."""

    command: str
    expected: str | None  # None: the page shows no output for this command
    skipped_because: str | None


def section(page: Path, title: str) -> str | None:
    text = page.read_text(encoding="utf-8")
    found = re.search(SECTION.format(re.escape(title)), text, re.M | re.S)
    return found[1] if found else None


def examples(page: Path) -> list[Example]:
    """The command blocks of the page's "Try it", each with its output block."""
    blocks = list(BLOCK.finditer(section(page, "Try it")))
    found = []
    for index, block in enumerate(blocks):
        if block["language"] != "bash":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        expected = None
        if following and following["language"] == "text":
            expected = following["body"]
        found.append(Example(block["body"].strip(), expected, block["reason"]))
    return found


def run_it(readme: Path) -> tuple[list[str], str]:
    """The "Run it" commands to replay, and the server command that ends them."""
    commands = []
    for block in BLOCK.finditer(section(readme, "Run it")):
        if block["language"] == "bash" and not block["reason"]:
            commands += block["body"].strip().splitlines()
    commands = [line for line in commands if not line.startswith(SETUP_LINES)]
    return commands[:-1], commands[-1]


# A block that makes a venv and installs into it, and nothing else.
VENV_BLOCK = re.compile(
    r"python3 -m venv (?P<name>[\w-]+)\n(?:(?P=name)/bin/pip install [^\n]+\n?)+"
)
VENVS = ROOT / ".lessons" / "try-it"


def venv_made_once(command: str, name: str) -> Path:
    """The venv NAME that `command` makes, made by it once on this machine."""
    key = hashlib.sha256(f"{sys.version}\n{command}".encode()).hexdigest()[:16]
    folder = VENVS / key
    VENVS.mkdir(parents=True, exist_ok=True)
    # One test run at a time makes it; another waits, then uses it.
    with open(VENVS / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "made").exists():  # never made, or cut off half-way
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            made = subprocess.run(
                ["bash", "-c", command],
                cwd=folder,
                env=learner_environment(),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if made.returncode != 0:
                shutil.rmtree(folder)
                pytest.fail(f"`{command}` failed:\n{made.stderr}")
            (folder / "made").write_text(command, encoding="utf-8")
    return folder / name


def first_difference(expected: list[str], actual: list[str]) -> str:
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), 1):
        if want != got:
            return f"line {number}: the page shows\n  {want!r}\nbut got\n  {got!r}"
    return (
        f"the page shows {len(expected)} lines, "
        f"but it printed {len(actual)}:\n" + "\n".join(actual)
    )


class Terminal:
    """One bash that runs commands one after another, printing to a terminal.

    In a (pseudo-)terminal, programs behave as they do for the learner: curl,
    for one, shows no progress meter there. One shell for the whole page, so a
    `cd` or a variable set in one block is still there in the next.
    """

    def __init__(self, cwd: Path, environment: dict):
        self.controller, terminal = pty.openpty()
        self.shell = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=terminal,
            stderr=terminal,
            start_new_session=True,  # one process group: close() ends it all
        )
        os.close(terminal)

    def run(self, command: str, timeout: float = 120) -> str:
        """Run one command block and return what it printed."""
        done = f"__done_{secrets.token_hex(4)}__"
        # The block reads its input from /dev/null, never from this shell's own
        # input (where the next commands wait), like a command with no input.
        script = f"{{ {command}\n}} < /dev/null\nprintf '\\n%s\\n' {done}\n"
        self.shell.stdin.write(script.encode())
        self.shell.stdin.flush()
        output = b""
        deadline = time.monotonic() + timeout
        # Up to the marker's own line end: a "\r\n" still unread would show up
        # as a blank first line of the next command's output.
        while f"{done}\r\n".encode() not in output:
            left = deadline - time.monotonic()
            assert left > 0, f"`{command}` did not finish in {timeout} s"
            if select.select([self.controller], [], [], left)[0]:
                output += os.read(self.controller, 65536)
        text = output.decode("utf-8", errors="replace")
        # A terminal ends lines with \r\n (and curl -i's headers have one \r
        # more): a carriage return shows nothing, so it goes.
        return text[: text.index(done)].replace("\r", "")

    def close(self):
        """End the shell, and anything a command left running in it."""
        self.shell.stdin.close()
        try:
            self.shell.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.shell.pid, signal.SIGKILL)
            self.shell.wait()
        os.close(self.controller)


def learner_environment() -> dict[str, str]:
    """The environment of a learner's terminal with the course's venv active."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    # The reloader restarts the server on a change; nothing changes here.
    environment = {**os.environ, "PATH": path, "FLASK_RUN_RELOAD": "false"}
    # `lessons practice` as in a fresh checkout: no exercise started yet (and
    # the learner's own practice/ folder is never read or touched).
    environment["LESSONS_PRACTICE_DIR"] = tempfile.mkdtemp(prefix="practice-")
    # Its own notes of started processes: a lessons command typed here must not
    # find (and report stopping) a server another test process is just ending.
    environment["LESSONS_STARTED"] = tempfile.mkdtemp(prefix="lessons-started-")
    return environment


def address_pair(address: str) -> str:
    """127.0.0.1:8080 as a Python socket address is written: '127.0.0.1', 8080."""
    host, port = address.rsplit(":", 1)
    return f"'{host}', {port}"


def replay(page: Path, terminal: Terminal, usual: str = "", real: str = "") -> None:
    """Type every command of the page's Try it, and compare what each printed."""
    skipped = []
    for example in examples(page):
        if example.skipped_because:
            skipped.append(example.skipped_because)
            continue
        command = example.command
        venv_block = VENV_BLOCK.fullmatch(command)
        if venv_block and example.expected is None:
            made = venv_made_once(command, venv_block["name"])
            command = f"ln -s {made} {venv_block['name']}"
        if usual:  # the address as a URL, and as Python's ('127.0.0.1', 8080)
            usual_pair, real_pair = address_pair(usual), address_pair(real)
            command = command.replace(usual, real).replace(usual_pair, real_pair)
        output = terminal.run(command)
        output = output.replace(real, usual) if usual else output
        if example.expected is None:
            continue
        expected, actual = normalized(example.expected), normalized(output)
        assert actual == expected, (
            f"{page.relative_to(ROOT)}, Try it: `{example.command}`\n"
            f"{first_difference(expected, actual)}"
        )
    if skipped:
        print(f"{page}: {len(skipped)} Try-it block(s) not replayed: {skipped}")


@pytest.fixture
def terminal():
    """A terminal, closed after the test; its cwd is set by `open_terminal`."""
    opened = []

    def open_terminal(cwd: Path, environment: dict) -> Terminal:
        opened.append(Terminal(cwd, environment))
        return opened[-1]

    yield open_terminal
    for each in opened:
        each.close()


@pytest.mark.parametrize("number", sorted(STEPS))
def test_try_it_outputs_are_what_the_commands_print(number, terminal, request):
    step = STEPS[number]
    readme = step.path / "README.md"
    environment = learner_environment()
    if number in NEEDS_DATABASE:
        environment.update(request.getfixturevalue("mysql_database")())
    before, server = run_it(readme)
    # The step runs on a free port; the README shows its usual one. Commands
    # are sent to the real port, and the real port reads as the usual one.
    port = free_port()
    program = "flask" if server.startswith("flask") else "python"
    usual, real = f"127.0.0.1:{USUAL_PORT[program]}", f"127.0.0.1:{port}"
    environment["FLASK_RUN_PORT"] = str(port)
    if program != "flask":
        server += f" --port {port}"
    shell = terminal(step.path, environment)
    for command in before:
        print(f"$ {command}\n{shell.run(command)}")
    server_command = ["bash", "-c", f"exec {server}"]
    with running(server_command, port, cwd=step.path, env=environment):
        replay(readme, shell, usual, real)


def test_try_it_of_the_production_chain_prints_what_the_deploy_readme_shows(terminal):
    # The deploy README starts the chain from the repository root, as its
    # "Run it" says (lessons run 05 --production, which starts its own
    # throwaway database), then replays "Try it" through nginx.
    for part in ("nginx", "mariadb"):  # a skip (CI: a failure) names the install
        require_part(part)
    readme = STEPS["05"].path / "deploy" / "README.md"
    before, server = run_it(readme)
    assert not before
    port = free_port()
    usual, real = f"127.0.0.1:{USUAL_PORT['python']}", f"127.0.0.1:{port}"
    environment = learner_environment()
    command = ["bash", "-c", f"exec {server} --port {port}"]
    chain = start(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, chain, timeout=120)  # a database, gunicorn, nginx
        replay(readme, terminal(ROOT, environment), usual, real)
    finally:
        stop(chain)


@pytest.mark.parametrize("page", PAGES)
def test_try_it_on_a_docs_page_prints_what_the_page_shows(page, terminal):
    shell = terminal(ROOT, learner_environment())
    replay(ROOT / page, shell)
