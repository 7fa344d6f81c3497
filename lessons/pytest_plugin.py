"""Fixtures and helpers that the step tests share.

pytest loads this plugin by itself (see `[project.entry-points.pytest11]` in
pyproject.toml), so a step's tests can use these fixtures without importing them.
"""

import pytest

from lessons import system


def require_part(key: str) -> str:
    """Return the path of a system part (nginx, chromium, ...) or stop this test.

    Outside CI a missing part skips the test with the command that installs it.
    Under CI=true it fails instead: CI must never pass by skipping.
    """
    path = system.find(key)
    if path is None:
        message = system.missing_message(key)
        if system.in_ci():
            pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)")
        pytest.skip(message)
    return path
