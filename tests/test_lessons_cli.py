"""The `lessons` command, run the way a learner runs it: as a program."""

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from lessons.diff import diff_steps
from lessons.processes import free_port, wait_for_port
from lessons.steps import ROOT, UnknownStep, all_steps, find_step
from lessons.suite import closing_counts


def lessons(*arguments: str) -> subprocess.CompletedProcess:
    """Run `lessons ARGUMENTS` and capture what it prints."""
    command = [sys.executable, "-m", "lessons", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_list_shows_every_step_folder_with_its_title():
    result = lessons("list")
    assert result.returncode == 0
    for step in all_steps():
        assert f"{step.number}  {step.title}" in result.stdout
        assert f"folder: {step.name}/" in result.stdout


@pytest.mark.parametrize("wanted", ["1", "01", "01_raw_wsgi"])
def test_a_step_can_be_named_by_number_or_folder(wanted):
    assert find_step(wanted).name == "01_raw_wsgi"


def test_an_unknown_step_names_the_real_ones():
    with pytest.raises(UnknownStep, match="the steps are: 01"):
        find_step("42")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["run", "42"], "there is no step '42'"),
        (["diff", "01", "99"], "there is no step '99'"),
        (["run", "01", "--port", "http"], "--port must be a number from 1 to 65535"),
        (["run", "01", "--port", "70000"], "--port must be a number from 1 to 65535"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_wrong_input_gets_one_clear_line_and_a_non_zero_exit(arguments, expected):
    result = lessons(*arguments)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_run_refuses_a_port_that_is_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lessons("run", "01", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} is already in use" in result.stderr
    assert "--port" in result.stderr  # and says how to pick another


def test_run_serves_step_01_and_stops_on_ctrl_c():
    port = free_port()
    command = [sys.executable, "-m", "lessons", "run", "01", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process=process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello?name=Ada") as reply:
            assert reply.status == 200
            assert b"Ada" in reply.read()
    finally:
        # Ctrl-C in a terminal reaches both lessons and the server it started.
        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=15)
        process.stdout.close()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server kept running"


def make_step(folder: Path, files: dict[str, str]) -> Path:
    """Write a small fake step folder for the diff tests."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_diff_shows_the_lesson_and_leaves_caches_out(tmp_path):
    old = make_step(tmp_path / "02_old", {"app.py": "a = 1\n", "same.txt": "x\n"})
    new = make_step(
        tmp_path / "03_new",
        {
            "app.py": "a = 2\n",
            "same.txt": "x\n",
            "controllers/home.py": "home = True\n",
            "__pycache__/app.cpython-311.pyc": "cache",
        },
    )
    diff = diff_steps(old, new)
    assert "--- 02_old/app.py\n+++ 03_new/app.py\n" in diff
    assert "-a = 1\n+a = 2\n" in diff
    assert "--- /dev/null\n+++ 03_new/controllers/home.py\n" in diff
    assert "same.txt" not in diff
    assert "__pycache__" not in diff


def test_diff_of_two_real_steps_reads_as_a_patch():
    first, second = all_steps()[:2]
    result = lessons("diff", first.number, second.number)
    assert result.returncode == 0
    assert f"+++ {second.name}/" in result.stdout
    headers = [
        line for line in result.stdout.splitlines() if line[:4] in ("--- ", "+++ ")
    ]
    assert not [line for line in headers if "__pycache__" in line]


def test_doctor_reports_python_packages_and_system_parts():
    result = lessons("doctor")
    assert result.returncode == 0, result.stdout
    assert f"Python {sys.version.split()[0]}" in result.stdout
    assert "every package in requirements.lock" in result.stdout
    for title in ("MariaDB/MySQL server", "nginx", "Chromium"):
        assert title in result.stdout


def test_closing_counts_read_pytest_s_last_line():
    output = "collected 9 items\n...\n==== 6 passed, 2 skipped, 1 failed in 3.2s ====\n"
    assert closing_counts(output) == {"passed": 6, "skipped": 2, "failed": 1}


@pytest.mark.parametrize(
    "arguments",
    [[], ["."], ["01_raw_wsgi", "02_flask_minimal"], ["01_raw_wsgi", "tests"]],
)
def test_pytest_refuses_to_mix_steps_in_one_process(arguments):
    command = [sys.executable, "-m", "pytest", *arguments]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 4
    assert "lessons test" in result.stdout + result.stderr
    assert "collected" not in result.stdout  # it stopped before importing anything
