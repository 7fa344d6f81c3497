"""The `lessons` command, run the way a learner runs it: as a program."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lessons import listening, processes, settings, system
from lessons.cli import main
from lessons.diff import diff_steps
from lessons.processes import free_port, wait_for_port
from lessons.steps import ROOT, Step, UnknownStep, all_steps, find_step
from lessons.suite import closing_counts, run_suite


def without_mysql_settings() -> dict[str, str]:
    """This environment minus MYSQL_*: `lessons run` then starts its own server."""
    return {k: v for k, v in os.environ.items() if k not in settings.NAMES}


def lessons(*arguments: str) -> subprocess.CompletedProcess:
    """Run `lessons ARGUMENTS` and capture what it prints."""
    command = [sys.executable, "-m", "lessons", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def lessons_here(capsys, *arguments: str) -> subprocess.CompletedProcess:
    """The same through its entry point in this process (quicker), for the
    commands that stop at wrong input before they start anything."""
    code = main(list(arguments))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(arguments, code, captured.out, captured.err)


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
        (["run", "01", "--port", "http"], "'--port': must be a number from 1 to 65535"),
        (
            ["run", "01", "--port", "70000"],
            "'--port': must be a number from 1 to 65535",
        ),
        (["fly"], "No such command 'fly'"),
    ],
)
def test_wrong_input_gets_one_clear_line_and_a_non_zero_exit(
    capsys, arguments, expected
):
    result = lessons_here(capsys, *arguments)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_run_refuses_a_port_that_is_in_use(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lessons_here(capsys, "run", "01", "--port", str(port))
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
        wait_for_port(port, process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as reply:
            assert reply.status == 200
            assert expected in reply.read()
    finally:
        # Ctrl-C in a terminal reaches both lessons and the server it started.
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:  # Ctrl-C did not stop it: leave nothing
                process.kill()  # its server dies with it (parent-death signal)
                process.wait()
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
def test_run_refuses_a_host_it_cannot_listen_on_in_one_line(capsys, host):
    result = lessons_here(
        capsys, "run", "01", "--host", host, "--port", str(free_port())
    )
    assert result.returncode == 2
    assert f"--host {host} is not" in result.stderr
    assert "Traceback" not in result.stderr


def test_lessons_test_prints_a_line_per_step_and_a_total():
    # One of the step's tests: what comes after `--` must reach pytest.
    result = lessons("test", "02", "--", "-k", "api_status_is_json")
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"^02_flask_minimal\s+ok\s+1 passed", result.stdout, re.M)
    assert "deselected" in result.stdout
    assert "started 02_flask_minimal" in result.stdout  # progress, as it goes
    assert re.search(r"^total: 1 passed, 0 failed, 0 skipped$", result.stdout, re.M)


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


@pytest.fixture
def step_with_a_venv():
    """Step 02 with a learner's venv/ in it (site-packages, a README, a cache)."""
    step = find_step("02")
    venv = step.path / "venv"
    if venv.exists():  # a learner's own venv: it proves the same, left untouched
        yield step
        return
    package = venv / "lib" / "site-packages" / "somepackage"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"cache")
    (package / "core.py").write_text("def helper():\n    return 1\n")
    (package / "README.md").write_text("# x\n\n```python\nfrom app import app\n```\n")
    try:
        yield step
    finally:
        shutil.rmtree(venv)


def test_a_venv_in_a_step_folder_is_not_part_of_the_step(step_with_a_venv):
    step = step_with_a_venv
    assert not [path for path in step.files() if "venv" in path.parts]
    assert f"{step.name}/venv/" not in diff_steps(find_step("01").path, step.path)
    command = [sys.executable, "-m", "pytest", "tests/test_docs.py", "-q"]
    command += ["-p", "no:cacheprovider", "-k", "copied_from_a_step_file and 02"]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed" in result.stdout


def test_make_clean_leaves_a_venv_s_caches_alone(tmp_path):
    ours = tmp_path / "02_step" / "__pycache__"
    theirs = tmp_path / "02_step" / "venv" / "lib" / "__pycache__"
    theirs.mkdir(parents=True)
    ours.mkdir()
    makefile = str(ROOT / "Makefile")
    command = ["make", "-s", "-f", makefile, "clean-caches"]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not ours.exists()
    assert theirs.exists()


def started_by(owner: int) -> list[int]:
    """The pids that the `lessons` process `owner` noted it started."""
    notes = [json.loads(path.read_text()) for path in processes.STARTED.glob("*.json")]
    return [note["pid"] for note in notes if note["owner"] == owner]


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """Wait (bounded) for the processes to end; return those still alive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(processes.alive, pids)):
        time.sleep(0.1)
    return [pid for pid in pids if processes.alive(pid)]


def test_nothing_outlives_a_killed_lessons_run_05_production():
    if system.find("nginx") is None or system.find("mariadb") is None:
        pytest.skip("needs nginx and mariadb: sudo apt install nginx mariadb-server")
    port = free_port()
    command = [sys.executable, "-m", "lessons", "run", "05", "--production"]
    run = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=without_mysql_settings(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, run, timeout=60)
        children = started_by(run.pid)
        assert len(children) >= 3  # mariadbd, gunicorn, nginx
    finally:
        run.kill()  # SIGKILL: no cleanup code of ours runs
        run.wait()
    assert gone_within(children, 30) == []
    assert not processes.port_in_use(port)


@pytest.mark.parametrize(
    ("noted_start", "is_stopped"),
    [("its own", True), ("an earlier one", False)],
)
def test_the_next_command_stops_what_a_dead_one_left_running(
    tmp_path, noted_start, is_stopped
):
    # The owner ends but is not waited for: a zombie, whose pid no new process
    # can take, and that counts as gone.
    owner = subprocess.Popen([sys.executable, "-c", "pass"])
    assert gone_within([owner.pid], 15) == []
    leftover = subprocess.Popen(["sleep", "60"], start_new_session=True)
    # Only a process started when the note says is ours: with another start
    # time, its pid was reused by a stranger.
    started = {
        "its own": processes.start_time(leftover.pid),
        "an earlier one": "1",
    }[noted_start]
    note = {"owner": owner.pid, "pid": leftover.pid, "started": started}
    # A notes folder of this test's own: another lessons command running beside
    # it (make test runs two at a time) must not stop the leftover first.
    path = tmp_path / f"{leftover.pid}.json"
    path.write_text(json.dumps(note))
    try:
        command = [sys.executable, "-m", "lessons", "list"]
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "LESSONS_STARTED": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (f"Stopped process {leftover.pid}" in result.stdout) == is_stopped
        if is_stopped:
            assert leftover.wait(timeout=15) != 0
        else:
            assert leftover.poll() is None, "it stopped a process that is not ours"
        assert not path.exists()  # the note is done with, either way
    finally:
        leftover.kill()
        leftover.wait()
        owner.wait()


def test_without_proc_the_start_time_comes_from_ps(tmp_path, monkeypatch):
    # As on macOS, where there is no /proc: ps tells when a process started.
    monkeypatch.setattr(processes, "process_stat", lambda pid: [])
    monkeypatch.setattr(processes, "STARTED", tmp_path)
    owner = subprocess.Popen([sys.executable, "-c", "pass"])
    owner.wait()  # gone for good (without /proc a zombie would look alive)
    ours = subprocess.Popen(["sleep", "60"], start_new_session=True)
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    started = processes.start_time(ours.pid)
    assert started and started == processes.start_time(ours.pid)  # what ps says
    notes = {ours.pid: started, stranger.pid: "Thu Jan  1 00:00:00 1970"}
    for pid, when in notes.items():
        note = {"owner": owner.pid, "pid": pid, "started": when}
        (tmp_path / f"{pid}.json").write_text(json.dumps(note))
    try:
        assert processes.stop_leftovers() == [ours.pid]
        assert not processes.alive(ours.pid)
        assert stranger.poll() is None, "it stopped a process that is not ours"
        assert not list(tmp_path.glob("*.json"))  # both notes are done with
    finally:
        for process in (ours, stranger):
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("echo 'pyenv: python3.12: command not found' >&2; exit 127", "could not run"),
        ('exec python3 -c "import sys; sys.exit(3)"', "is older"),
    ],
    ids=["cannot run", "too old"],
)
def test_make_says_whether_python_is_too_old_or_cannot_run(tmp_path, program, expected):
    # A pyenv shim for a version that is not active fails to run at all; that
    # is not the same as an old Python, and the message must say which.
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n{program}\n")
    python.chmod(0o755)
    result = subprocess.run(
        ["make", "install", f"PYTHON={python}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert expected in result.stdout
    assert not (tmp_path / ".venv").exists()


# --- serving to a classroom: lessons docs / make docs / make run, HOST and PORT ---


def listening_on(host: str, port: int, process: subprocess.Popen, timeout: float):
    """Wait (bounded) until host:port accepts connections; fail if `process` ends."""
    deadline = time.monotonic() + timeout
    while not processes.port_in_use(port, host):
        assert process.poll() is None, process.stdout.read().decode()[-2000:]
        assert time.monotonic() < deadline, f"nothing on {host}:{port} in {timeout} s"
        time.sleep(0.1)


def interrupt(process: subprocess.Popen) -> str:
    """Ctrl-C, as a terminal sends it: to the whole process group. Its output."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


def second_loopback_address() -> str:
    """127.0.0.2: loopback too (127.0.0.0/8), so a host other than the default that
    still reaches nobody but us. Linux has it; macOS only after an ifconfig alias."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.2", 0))
        except OSError:
            pytest.skip("no 127.0.0.2 here: sudo ifconfig lo0 alias 127.0.0.2 up")
    return "127.0.0.2"


def test_docs_serves_the_site_where_asked_and_dies_with_lessons():
    host = second_loopback_address()
    # A port below the range Linux takes ports from for outgoing connections
    # (32768 and up), where free_port() finds its ports too: other tests open
    # connections from 127.0.0.2 (step 05's slow clients: hundreds), and once
    # in CI the port free_port() had chosen was already in use there.
    port = listening.free_port_near(host, 20000)
    command = [sys.executable, "-m", "lessons", "docs", "--host", host]
    docs = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        listening_on(host, port, docs, timeout=180)  # mkdocs builds the site first
        with urllib.request.urlopen(f"http://{host}:{port}/instructors/") as reply:
            page = reply.read().decode()
        assert reply.status == 200
        assert "Teaching the course" in page
        assert not processes.port_in_use(port, "127.0.0.1")  # only where asked
        children = started_by(docs.pid)
        assert len(children) == 1  # mkdocs serve
    finally:
        docs.kill()  # SIGKILL: no cleanup code of ours runs
        output = docs.communicate(timeout=60)[0].decode(errors="replace")
    assert gone_within(children, 30) == []
    assert not processes.port_in_use(port, host), "the docs server kept running"
    # Loopback: nobody else can reach it, so no notice says so; but the API does
    # not allow this origin by default, and the live page needs it to.
    assert "anyone" not in output
    assert f"CORS_ORIGINS=http://{host}:{port} make run" in output


def test_make_run_serves_the_step_on_the_port_it_is_given():
    port = free_port()
    make = ["make", "-s", "run", "STEP=01", f"PORT={port}"]
    run = subprocess.Popen(
        make,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        listening_on("127.0.0.1", port, run, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello?name=Ada") as reply:
            assert b"Ada" in reply.read()
    finally:
        interrupt(run)
    assert not processes.port_in_use(port), "the server kept running"


@pytest.mark.parametrize(
    ("target", "port"), [("run", "70000"), ("docs", "http"), ("docs", "0")]
)
def test_make_refuses_a_bad_port_in_one_line(target, port):
    command = ["make", "-s", target, f"PORT={port}"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    # One line from the course; make adds its own "make: *** [...] Error 2".
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours == [
        f"lessons {target}: Invalid value for '--port': "
        f"must be a number from 1 to 65535, not '{port}' (see: lessons {target} --help)"
    ]
    assert done.stdout == ""  # nothing was started


def test_make_takes_host_and_port_from_its_command_line_only():
    def dry_run(*arguments: str, **environment: str) -> str:
        command = ["make", "-s", "-n", *arguments]
        env = {**os.environ, **environment}
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.split()

    assert dry_run("docs")[-1] == "docs"  # the defaults: lessons docs, nothing more
    # tcsh exports HOST (the machine's name): that must not serve the network.
    assert dry_run("docs", HOST="classroom-pc", PORT="1") == dry_run("docs")
    wanted = ["docs", "--host", "0.0.0.0", "--port", "8001"]
    assert dry_run("docs", "HOST=0.0.0.0", "PORT=8001")[-5:] == wanted
    wanted = ["run", "02", "--port", "5001"]
    assert dry_run("run", "STEP=02", "PORT=5001")[-4:] == wanted


def test_a_port_in_use_is_refused_with_a_free_one_to_try(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lessons_here(capsys, "docs", "--port", str(port))
        wanted = r"lessons docs --port (\d+) \(make docs PORT=\1\)$"
        suggested = re.search(wanted, result.stderr.strip())
        assert result.returncode == 2
        assert result.stderr.startswith(f"lessons: port {port} is already in use")
        assert len(result.stderr.strip().splitlines()) == 1
        assert suggested, result.stderr
        free = int(suggested[1])
        assert free != port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", free))  # it really is free


def test_a_host_that_is_not_this_machine_s_is_refused_in_one_line(capsys):
    # 192.0.2.0/24 is for documentation (RFC 5737): no machine has it.
    arguments = ["docs", "--host", "192.0.2.10", "--port", str(free_port())]
    result = lessons_here(capsys, *arguments)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "lessons: --host 192.0.2.10 is not an address of this machine; "
        "try --host 127.0.0.1"
    )
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", None),
        ("localhost", None),
        ("127.0.0.2", None),
        ("0.0.0.0", "Listening on every network of this machine: anyone who can"),
        ("192.0.2.10", "Listening on 192.0.2.10: anyone who can reach that address"),
    ],
)
def test_a_host_beyond_loopback_says_who_can_now_reach_it(host, expected):
    notice = listening.reach_notice(host, 8000)
    if expected is None:
        assert notice is None
    else:
        assert notice.startswith(expected)
        assert "\n" not in notice
