"""`lessons practice`: every exercise fails unsolved and passes solved.

The maintainer check (rustlings' `dev check`): for every exercise in the step
folders' exercises.toml, a fresh workspace fails its check, and the same
workspace with the course's own code put back passes it. A change to a step
that breaks an exercise (a renamed function, a changed answer) fails here.
The checks run as a learner's do, in pytest processes of their own, two at a
time, on one database server for all of them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lessons import practice, processes
from lessons.errors import LessonsError
from lessons.steps import ROOT, Step, all_steps

EXERCISES = practice.load_exercises()


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """{id: (the fresh workspace's check, the solved workspace's check)}.

    Each fresh workspace lacks another part, so each is checked in a process of
    its own. Solved, they do not differ: put_back() makes every workspace of a
    step the step's own files again. So one solved workspace per step is
    checked, with the check files of all the step's exercises in one process,
    and each exercise gets the results of its own check file.
    """
    settings = {}
    if any(exercise.needs_database for exercise in EXERCISES):
        settings = request.getfixturevalue("mysql_server")  # MYSQL_* for all

    # Made here, before the threads below: pytest's temporary folder factory
    # is not safe to call from two threads at once (it makes its base lazily).
    workspaces = tmp_path_factory.mktemp("practice")

    def workspace(exercise, name):
        folder = workspaces / name  # each name is used once: an id, or STEP-solved
        practice.make_workspace(exercise, folder)
        return folder

    def fresh(exercise):
        try:
            folder = workspace(exercise, exercise.id)
        except LessonsError as refused:  # its part is gone: fail this one only
            return {"broken": str(refused)}
        return practice.run_check(exercise, folder, settings, stop_early=True)

    def solved(exercises):
        try:
            folder = workspace(exercises[0], f"{exercises[0].step.name}-solved")
        except LessonsError as refused:  # no workspace for this step's checks
            return {"broken": str(refused), "results": []}
        practice.put_back(exercises[0], folder)
        checks = list(dict.fromkeys(exercise.check_path for exercise in exercises))
        return practice.run_checks(checks, folder, settings)

    by_step = {}
    for exercise in EXERCISES:
        by_step.setdefault(exercise.step, []).append(exercise)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The longest runs first (the last step's checks, with a browser), so
        # the two lanes end at about the same time.
        solved_runs = {
            step: pool.submit(solved, exercises)
            for step, exercises in reversed(by_step.items())
        }
        fresh_runs = {e.id: pool.submit(fresh, e) for e in reversed(EXERCISES)}
    outcome = {}
    for exercise in EXERCISES:
        run = solved_runs[exercise.step].result()
        own = [
            test for test in run["results"] if test["check"] == str(exercise.check_path)
        ]
        outcome[exercise.id] = (
            fresh_runs[exercise.id].result(),
            {**run, "results": own},
        )
    return outcome


def test_there_are_at_least_twelve_exercises_two_in_every_step():
    assert len(EXERCISES) >= 12
    for step in all_steps():
        assert sum(exercise.step == step for exercise in EXERCISES) >= 2, step.name


def test_exercise_ids_are_unique_and_start_with_their_step():
    ids = [exercise.id for exercise in EXERCISES]
    assert len(ids) == len(set(ids))
    for exercise in EXERCISES:
        assert exercise.id.startswith(exercise.step.number + "-"), exercise.id


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_a_fresh_workspace_fails_its_check(outcomes, exercise):
    fresh, _ = outcomes[exercise.id]
    assert not fresh.get("broken"), fresh.get("broken")  # the check itself ran
    assert fresh["results"], "the check ran no tests"
    assert not fresh["passed"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_the_course_code_passes_its_check(outcomes, exercise):
    _, solved = outcomes[exercise.id]
    assert not solved.get("broken"), solved.get("broken")
    assert solved["results"], f"{exercise.check} ran no tests"
    skipped = [test for test in solved["results"] if test["outcome"] == "skipped"]
    if skipped:  # a missing Chromium; under CI=true the check fails instead
        pytest.skip(skipped[0]["detail"])
    unmet = [test for test in solved["results"] if test["outcome"] != "passed"]
    assert not unmet, unmet


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_each_exercise_names_a_readme_section_and_has_hints(exercise):
    headings = [
        line.lstrip("#").strip()
        for line in exercise.step.readme.splitlines()
        if line.startswith("#")
    ]
    assert exercise.read in headings
    assert exercise.hints
    assert f"lessons practice start {exercise.id}" in exercise.step.readme


def test_a_part_that_is_gone_is_refused_in_one_line():
    exercise = EXERCISES[0]
    renamed = practice.Exercise(**{**vars(exercise), "function": "no_such_function"})
    with pytest.raises(LessonsError) as refused:
        practice.course_part(renamed)
    message = str(refused.value)
    assert "\n" not in message
    assert "no function `no_such_function`" in message
    assert "exercises.toml" in message


def test_a_section_is_taken_out_between_its_markers_which_stay(tmp_path):
    origins = practice.find_exercise("05-origins")
    by_section = practice.Exercise(
        **{**vars(origins), "function": "", "section": "allowed"}
    )
    practice.make_workspace(by_section, tmp_path / "ws")
    text = (tmp_path / "ws" / "cors.py").read_text()
    assert "# --8<-- [start:allowed]" in text and "# --8<-- [end:allowed]" in text
    assert "def allowed_origin" not in text
    assert "raise NotImplementedError" in text
    assert "def allowed_origin" in practice.course_part(by_section)


def lessons_practice(workspace_root, *arguments, answer=""):
    """Run `lessons practice ARGUMENTS` with its workspaces in workspace_root
    (`answer`: what is typed at its questions)."""
    environment = {**os.environ, "LESSONS_PRACTICE_DIR": str(workspace_root)}
    command = [sys.executable, "-m", "lessons", "practice", *arguments]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_solution_is_shown_only_after_a_yes(tmp_path):
    declined = lessons_practice(tmp_path, "solution", "02-status", answer="n\n")
    assert declined.returncode == 1
    assert declined.stderr == "Nothing changed.\n"
    assert "The course's function `status`" not in declined.stdout
    accepted = lessons_practice(tmp_path, "solution", "02-status", answer="y\n")
    assert accepted.returncode == 0
    assert "The course's function `status`" in accepted.stdout


def test_a_learner_starts_fails_solves_and_is_shown_the_next_one(tmp_path):
    started = lessons_practice(tmp_path, "start", "02-status")
    assert started.returncode == 0 and "practice" not in started.stderr
    failed = lessons_practice(tmp_path, "check")
    assert failed.returncode == 1
    assert "✗ GET /api/status" in failed.stdout
    assert "not written yet" in failed.stdout
    exercise = practice.find_exercise("02-status")
    practice.put_back(exercise, tmp_path / "02-status")
    passed = lessons_practice(tmp_path, "check")
    assert passed.returncode == 0, passed.stdout
    assert "✓ 02-status passes" in passed.stdout
    following = EXERCISES[EXERCISES.index(exercise) + 1]  # the next, not done yet
    assert f"Next: {following.id}" in passed.stdout
    listed = lessons_practice(tmp_path)
    assert "✓ 02-status" in listed.stdout


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["start", "99-nothing"], "there is no exercise '99-nothing'"),
        (["check"], "no exercise is started yet"),
        (["hint"], "no exercise is started yet"),
        (["solution", "99-nothing", "--yes"], "there is no exercise"),
        (["bogus"], "No such command 'bogus'"),
        (["start"], "Missing argument"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, arguments, says):
    result = lessons_practice(tmp_path, *arguments)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr


def test_a_workspace_deleted_by_hand_says_how_to_make_it_again(tmp_path):
    assert lessons_practice(tmp_path, "start", "01-hello").returncode == 0
    practice.shutil.rmtree(tmp_path / "01-hello")
    result = lessons_practice(tmp_path, "check")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "lessons practice reset 01-hello" in result.stderr


STOPS = [
    pytest.param(signal.SIGKILL, [], id="SIGKILL"),
    pytest.param(signal.SIGTERM, [], id="SIGTERM"),
    pytest.param(signal.SIGTERM, ["--watch"], id="SIGTERM-watch"),
]


@pytest.mark.parametrize(("how", "options"), STOPS)
def test_a_stopped_check_leaves_no_check_running(tmp_path, how, options):
    # A check that would run for a minute: the workspace's app.py waits on import.
    assert lessons_practice(tmp_path, "start", "01-hello").returncode == 0
    with (tmp_path / "01-hello" / "app.py").open("a", encoding="utf-8") as app:
        app.write("\nimport time\n\ntime.sleep(60)\n")
    notes = tmp_path / "started"  # where this command notes what it starts
    environment = {**os.environ, "LESSONS_PRACTICE_DIR": str(tmp_path)}
    environment["LESSONS_STARTED"] = str(notes)
    command = [sys.executable, "-m", "lessons", "practice", "check", *options]
    check = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        written = []  # the note of the check's pytest, once it is written whole
        while not written and time.monotonic() < deadline:
            time.sleep(0.05)
            texts = [path.read_text("utf-8") for path in notes.glob("*.json")]
            written = [text for text in texts if text.endswith("}")]
        assert len(written) == 1, f"no note of the check's pytest in {notes}"
        pytest_pid = json.loads(written[0])["pid"]
        assert processes.alive(pytest_pid)
    finally:
        # SIGKILL runs no cleanup code of ours; SIGTERM (`kill`) stops like Ctrl-C.
        check.send_signal(how)
        output = check.communicate(timeout=30)[0]
        exit_code = check.returncode
    deadline = time.monotonic() + 15
    while processes.alive(pytest_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.alive(pytest_pid), "the check outlived lessons"
    # After SIGTERM it stopped itself, as after Ctrl-C (exit code 130), instead
    # of being ended by the signal (-15) with its cleanup code skipped.
    # --watch too: Ctrl-C is how a learner ends it, and it is no failed check.
    assert exit_code == (-signal.SIGKILL if how == signal.SIGKILL else 130)
    if options:
        assert output.rstrip().endswith("Stopped watching."), output


def step_files() -> dict:
    """Every step's own files and their bytes (Step.files(): no venv, no cache;
    another test may be making a venv in a step folder at the same time)."""
    return {path: path.read_bytes() for step in all_steps() for path in step.files()}


def test_the_step_folders_are_never_touched(tmp_path):
    before = step_files()
    lessons_practice(tmp_path, "start", "04-delete")
    lessons_practice(tmp_path, "reset", "04-delete", "--yes")
    assert step_files() == before


def test_a_workspace_leaves_out_a_venv_caches_and_logs_from_the_step(tmp_path):
    # A learner who followed "Run it" has a venv/ in the step folder; a
    # workspace is a copy of the lesson's files, not of thousands of packages.
    exercise = EXERCISES[0]
    step = tmp_path / exercise.step.name
    shutil.copytree(exercise.step.path, step, ignore=shutil.ignore_patterns("venv"))
    for made in ("venv/lib/site-packages/pkg.py", "__pycache__/x.pyc", "server.log"):
        (step / made).parent.mkdir(parents=True, exist_ok=True)
        (step / made).write_text("left by a tool\n")
    in_copy = practice.Exercise(
        **{**vars(exercise), "step": Step(exercise.step.number, step)}
    )
    workspace = tmp_path / "workspace"
    practice.make_workspace(in_copy, workspace)
    copied = {path.relative_to(workspace).as_posix() for path in workspace.rglob("*")}
    assert exercise.file in copied
    assert not {"venv", "__pycache__", "server.log"} & copied, sorted(copied)
