"""The `lessons` command, run the way a learner runs it: as a program."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from lessons.diff import diff_steps
from lessons.processes import free_port, wait_for_port
from lessons.steps import ROOT, Step, UnknownStep, all_steps, find_step
from lessons.suite import closing_counts, run_suite


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


@pytest.mark.parametrize(
    ("step", "path", "expected"),
    [
        ("01", "/hello?name=Ada", b"Ada"),  # its own server
        ("02", "/api/status", b"02_flask_minimal"),  # flask run
        ("03", "/health", b'"status":"ok"'),  # flask run, finding create_app()
    ],
)
def test_run_serves_a_step_and_stops_on_ctrl_c(step, path, expected):
    port = free_port()
    command = [sys.executable, "-m", "lessons", "run", step, "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process=process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as reply:
            assert reply.status == 200
            assert expected in reply.read()
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


def test_diff_names_a_removed_file_in_one_line(tmp_path):
    old = make_step(tmp_path / "01_old", {"server.py": "a\nb\nc\n", "app.py": "x\n"})
    new = make_step(tmp_path / "02_new", {"app.py": "y\n"})
    diff = diff_steps(old, new)
    assert "Only in 01_old: server.py\n" in diff
    assert "-a\n" not in diff  # not printed line by line
    assert "-x\n+y\n" in diff


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


@pytest.mark.parametrize("host", ["999.1.1.1", "::1", "no-such-host.invalid"])
def test_run_refuses_a_host_it_cannot_listen_on_in_one_line(host):
    result = lessons("run", "01", "--host", host, "--port", str(free_port()))
    assert result.returncode == 2
    assert f"--host {host} is not" in result.stderr
    assert "Traceback" not in result.stderr


def test_lessons_test_prints_a_line_per_step_and_a_total():
    result = lessons("test", "02")
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"^02_flask_minimal\s+ok\s+\d+ passed", result.stdout, re.M)
    assert re.search(r"^total: \d+ passed, 0 failed, 0 skipped$", result.stdout, re.M)


def test_a_failing_step_fails_the_whole_run(tmp_path, capsys):
    folder = tmp_path / "09_broken"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_claim.py").write_text(
        "def test_arithmetic():\n    assert 1 + 1 == 3\n"
    )
    assert run_suite([Step("09", folder)], False, []) == 1
    output = capsys.readouterr().out
    assert re.search(r"^09_broken\s+FAILED \(pytest exit 1\)\s+1 failed", output, re.M)
    assert "total: 0 passed, 1 failed, 0 skipped" in output


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
