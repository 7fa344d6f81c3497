"""The controllers package registers every module in it, and says what is wrong
when it cannot.

Most tests here copy this step into a temporary folder, add a file to the copy's
controllers/ package, and build the app in a new Python process. A new process,
because Python imports a module only once: in this process, `controllers` is
already imported, and a fresh one is the only honest view of what the loop finds.
(What the step finds before a file is added, this process knows already.)
"""

import subprocess
import sys
import textwrap

import pytest

from app import create_app

# What a learner would see: the blueprints and routes of a freshly built app.
PRINT_BLUEPRINTS = """
from app import create_app
print(*create_app().blueprints, sep="\\n")
"""
PRINT_ROUTES = """
from app import create_app
for rule in create_app().url_map.iter_rules():
    print(rule.endpoint, rule.rule)
"""


def add_controller(step_copy, filename, source):
    """Write a module into the copy's controllers/ package."""
    path = step_copy / "controllers" / filename
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def run_in(step_copy, code):
    """Run Python `code` in a new process inside the copy; return the result."""
    command = [sys.executable, "-c", code]
    return subprocess.run(
        command, cwd=step_copy, capture_output=True, text=True, timeout=60
    )


def controller(blueprint_name, url="/new"):
    """The source of a small, correct controller module."""
    return f'''
        """A controller written by a test."""

        from flask import Blueprint

        blueprint = Blueprint("{blueprint_name}", __name__)


        @blueprint.get("{url}")
        def new_route():
            """Answer with a short text."""
            return "new"
        '''


def test_every_module_in_controllers_is_registered(step_dir):
    files = (step_dir / "controllers").glob("*.py")
    controllers = sorted(path.stem for path in files if not path.stem.startswith("_"))
    assert list(create_app().blueprints) == controllers


def routes_of(app):
    """The lines PRINT_ROUTES prints, for an app built in this process."""
    return [f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules()]


def test_a_new_module_is_registered_with_no_other_edit(step_copy):
    add_controller(step_copy, "hello.py", controller("hello", url="/hi"))
    after = run_in(step_copy, PRINT_ROUTES)

    assert after.returncode == 0, after.stderr
    # Before: this step as it is, which the copy was until hello.py came.
    assert "hello.new_route /hi" not in routes_of(create_app())
    assert "hello.new_route /hi" in after.stdout.splitlines()


def test_blueprints_are_registered_in_alphabetical_order_of_file_names(step_copy):
    add_controller(step_copy, "zebra.py", controller("zebra", url="/zebra"))
    add_controller(step_copy, "aardvark.py", controller("aardvark", url="/aardvark"))
    result = run_in(step_copy, PRINT_BLUEPRINTS)

    assert result.returncode == 0, result.stderr
    blueprints = result.stdout.split()
    assert blueprints == ["aardvark", "books", "health", "home", "zebra"]


def test_a_module_whose_name_starts_with_underscore_is_not_a_controller(step_copy):
    # This module would crash whatever imported it, so an app that starts shows
    # the loop never imported it; and it has no blueprint to register either.
    crash = 'raise RuntimeError("the loop imported _private.py")\n'
    add_controller(step_copy, "_private.py", crash)
    after = run_in(step_copy, PRINT_BLUEPRINTS)

    assert after.returncode == 0, after.stderr
    # The same blueprints as this step as it is, which the copy was before.
    assert after.stdout.split() == list(create_app().blueprints)


@pytest.mark.parametrize(
    ("filename", "source", "message"),
    [
        (
            "reports.py",
            '"""Reports: not written yet."""\n',
            "controllers/reports.py has no `blueprint`. "
            'Add: blueprint = Blueprint("reports", __name__)',
        ),
        (
            "reports.py",
            'blueprint = "reports"\n',
            "controllers/reports.py: `blueprint` is a str, not a flask.Blueprint.",
        ),
        (
            "books_copy.py",
            controller("books", url="/books-copy"),
            "controllers/books.py and controllers/books_copy.py both name their "
            'blueprint "books". Blueprint names must be unique: name each after '
            'its file, e.g. Blueprint("books_copy", __name__) in '
            "controllers/books_copy.py.",
        ),
        (
            "aardvark.py",  # sorts before books.py, so it is registered first
            controller("books", url="/aardvark"),
            'e.g. Blueprint("aardvark", __name__) in controllers/aardvark.py.',
        ),
    ],
    ids=["no blueprint", "not a Blueprint", "duplicate name", "copy sorted first"],
)
def test_a_bad_controller_stops_start_up_with_a_message_that_says_what_to_fix(
    step_copy, filename, source, message
):
    add_controller(step_copy, filename, source)
    result = run_in(step_copy, PRINT_BLUEPRINTS)

    assert result.returncode != 0
    assert "ControllerError" in result.stderr
    assert message in result.stderr
