"""The root conftest: one step per pytest process.

Every step folder has its own `app.py`, and Python imports a module only once per
process. If one pytest run collected two steps, step 05's tests could end up
testing step 04's `app`. So a run that would reach more than one step stops at once
and says what to run instead.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

HOW_TO_RUN = """\
Each step has its own app.py, so each step's tests run in a process of their own.
Run one of these instead:
    make test                 every step, one process each (or: lessons test)
    lessons test 04           one step
    pytest 04_mysql_crud      one step with plain pytest
    pytest tests              the course tooling and the docs"""


def step_folder_of(path: Path) -> Path | None:
    """The NN_name step folder that contains `path`, or None."""
    for folder in [path, *path.parents]:
        if folder.parent == ROOT and folder.name[:2].isdigit():
            return folder
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Stop before collection when the arguments span several steps."""
    places = set()
    for argument in config.args:
        path = Path(argument.split("::")[0]).resolve()
        if path == ROOT or ROOT not in path.parents:
            places.add(ROOT)  # the whole course: every step at once
        else:
            places.add(step_folder_of(path) or ROOT / "tests")
    if ROOT in places or len(places) > 1:
        pytest.exit(HOW_TO_RUN, returncode=4)
