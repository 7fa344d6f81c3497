"""Importing a module writes its bytecode to `__pycache__`, unless you say no.

Python compiles app.py to bytecode on import and keeps it in
`__pycache__/app.<cache tag>.pyc` for the next start. Setting the environment
variable PYTHONDONTWRITEBYTECODE (to any non-empty value) turns the writing off.
"""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("dont_write_bytecode", "cache_written"),
    [(None, True), ("1", False)],
    ids=["variable unset", "PYTHONDONTWRITEBYTECODE=1"],
)
def test_import_writes_pycache_unless_pythondontwritebytecode_is_set(
    step_copy, dont_write_bytecode, cache_written
):
    # Start from a known environment: some machines (and CI) already set the
    # variable, and PYTHONPYCACHEPREFIX would move the cache somewhere else.
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.pop("PYTHONPYCACHEPREFIX", None)
    if dont_write_bytecode is not None:
        environment["PYTHONDONTWRITEBYTECODE"] = dont_write_bytecode

    # A new Python process, started in the copy, so `import app` finds the copy.
    command = [sys.executable, "-c", "import app"]
    subprocess.run(command, cwd=step_copy, env=environment, check=True, timeout=60)

    # cache_tag is "cpython-311" on CPython 3.11: the .pyc belongs to one version.
    cached = step_copy / "__pycache__" / f"app.{sys.implementation.cache_tag}.pyc"
    assert cached.exists() is cache_written
