"""Every "Try it" in the READMEs, replayed: commands print what the README shows.

A README's "Try it" section is a series of command blocks (```bash), each one
followed by the output it prints (```text). This test starts the step the way
its "Run it" section says, runs every command in the step's folder, and compares
the real output with the README's, after `normalized()` has blanked the few
things that truly differ between runs: dates, times, ports, passwords, process
ids. Anything else that differs fails the test, naming the README, the command
and the first line that differs.

A command that cannot be replayed here (it needs a browser, or Ctrl-C) has a
comment on the line before its block, which readers of the page do not see:

    <!-- not replayed: it opens a browser -->

Such blocks are skipped visibly: the test says how many, and why.
"""

import os
import pty
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lessons.processes import free_port, running
from lessons.steps import all_steps

STEPS = {step.number: step for step in all_steps()}
NEEDS_DATABASE = {"04", "05"}

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
SETUP_LINES = (
    "python3 -m venv",
    "source ",
    "pip install",
    "../.venv/bin/lessons",
    "eval ",
)

# What differs between two honest runs, and nothing else.
VARYING = [
    # What a terminal shows as formatting, not as characters: colours and bold
    # (curl bolds header names), and links (curl makes Location one).
    (re.compile(r"\x1b\[[0-9;]*m|\x1b\][^\x1b]*\x1b\\"), ""),
    (re.compile(r"^Date: .*$", re.MULTILINE), "Date: <date>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(,\d+)?Z?"), "<timestamp>"),
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
    """One command of a "Try it" section, and the output the README shows for it."""

    command: str
    expected: str | None  # None: the README shows no output for this command
    skipped_because: str | None


def section(readme: Path, title: str) -> str:
    found = re.search(SECTION.format(re.escape(title)), readme.read_text(), re.M | re.S)
    assert found, f"{readme} has no '## {title}' section"
    return found[1]


def examples(readme: Path) -> list[Example]:
    """The command blocks of the README's "Try it", each with its output block."""
    blocks = list(BLOCK.finditer(section(readme, "Try it")))
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


def first_difference(expected: list[str], actual: list[str]) -> str:
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), 1):
        if want != got:
            return f"line {number}: the README shows\n  {want!r}\nbut got\n  {got!r}"
    return (
        f"the README shows {len(expected)} lines, "
        f"but it printed {len(actual)}:\n" + "\n".join(actual)
    )


def in_a_terminal(command: str, cwd: Path, environment: dict) -> str:
    """Run `command` with bash in a pseudo-terminal, and return what it printed.

    In a terminal, programs behave as they do for the learner: curl, for one,
    shows no progress meter when its output goes to a terminal.
    """
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(controller)
    # A terminal ends lines with \r\n (and curl -i's headers have one \r more):
    # a carriage return shows nothing, so it goes.
    return b"".join(chunks).decode("utf-8", errors="replace").replace("\r", "")


@pytest.fixture
def step_environment(request, tmp_path):
    """The environment a learner's terminal has when the step runs."""
    # As after `source venv/bin/activate`: this environment's programs come first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    # The reloader restarts the server on a change; nothing changes here.
    environment = {**os.environ, "PATH": path, "FLASK_RUN_RELOAD": "false"}
    if request.param in NEEDS_DATABASE:
        database = request.getfixturevalue("mysql_database")()
        environment.update(database)
    return environment


@pytest.mark.parametrize(
    "step_environment", sorted(STEPS), indirect=True, ids=lambda number: number
)
def test_try_it_outputs_are_what_the_commands_print(step_environment, request):
    number = request.node.callspec.params["step_environment"]
    step = STEPS[number]
    readme = step.path / "README.md"
    before, server = run_it(readme)
    # The step runs on a free port; the README shows its usual one. Commands
    # are sent to the real port, and the real port reads as the usual one.
    port = free_port()
    usual = (
        f"127.0.0.1:{USUAL_PORT['flask' if server.startswith('flask') else 'python']}"
    )
    real = f"127.0.0.1:{port}"
    environment = {**step_environment, "FLASK_RUN_PORT": str(port)}
    if not server.startswith("flask"):
        server += f" --port {port}"
    for command in before:
        output = in_a_terminal(command, step.path, environment)
        print(f"$ {command}\n{output}")

    skipped = []
    with running(
        ["bash", "-c", f"exec {server}"], port, cwd=step.path, env=environment
    ):
        for example in examples(readme):
            if example.skipped_because:
                skipped.append(example.skipped_because)
                continue
            command = example.command.replace(usual, real)
            output = in_a_terminal(command, step.path, environment).replace(real, usual)
            if example.expected is None:
                continue
            expected = normalized(example.expected)
            actual = normalized(output)
            assert actual == expected, (
                f"{readme.relative_to(step.path.parent)}, Try it: "
                f"`{example.command}`\n{first_difference(expected, actual)}"
            )
    if skipped:
        print(f"{readme}: {len(skipped)} Try-it block(s) not replayed: {skipped}")
