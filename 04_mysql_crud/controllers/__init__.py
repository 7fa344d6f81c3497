"""The controllers package: every module in it is a controller, found by itself.

A controller is a module that holds the routes of one subject (books, health,
...) in a Flask `Blueprint` named `blueprint`. `register_controllers(app)` finds
every module in this folder, imports it and registers its blueprint on the app,
so adding a controller is adding a file: nothing else needs an edit.
"""

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint

PACKAGE_DIR = Path(__file__).resolve().parent


class ControllerError(Exception):
    """A controller that cannot be registered; the message says how to fix it."""


def register_controllers(app):
    """Import every module in this package and register its `blueprint` on `app`.

    Modules whose name starts with "_" are skipped: they are helpers for the
    controllers, not controllers. The order is alphabetical, so the app is
    built the same way on every machine.
    """
    registered = {}  # blueprint name -> the module that defined it
    # iter_modules() lists the modules in this package's folder (`__path__`)
    # without importing them. The order it lists them in is not a promise, so we
    # sort the names ourselves.
    names = sorted(module.name for module in pkgutil.iter_modules(__path__))
    for name in names:
        if name.startswith("_"):
            continue
        # import_module("controllers.books") does what `import controllers.books`
        # does, for a name we only learn while the program runs.
        module = importlib.import_module(f"{__name__}.{name}")
        blueprint = find_blueprint(module, name)
        if blueprint.name in registered:
            # Flask would refuse too, but without saying which files clash.
            raise duplicate_name(registered[blueprint.name], module, blueprint.name)
        registered[blueprint.name] = module
        app.register_blueprint(blueprint)


def duplicate_name(first, second, name):
    """The error for two controllers whose blueprints are both called `name`.

    The fix it suggests is for the module whose blueprint is not named after its
    own file (a copied controller that kept the original's name).
    """
    culprit = second if module_name(second) != name else first
    return ControllerError(
        f"{file_of(first)} and {file_of(second)} both name their blueprint "
        f'"{name}". Blueprint names must be unique: name each after its file, '
        f'e.g. Blueprint("{module_name(culprit)}", __name__) in {file_of(culprit)}.'
    )


def module_name(module):
    """The module's own name: "books" for controllers.books."""
    return module.__name__.rpartition(".")[2]


def find_blueprint(module, name):
    """The module's `blueprint`, or a ControllerError that says what to add."""
    blueprint = getattr(module, "blueprint", None)
    if blueprint is None:
        raise ControllerError(
            f"{file_of(module)} has no `blueprint`. "
            f'Add: blueprint = Blueprint("{name}", __name__) '
            f"(with: from flask import Blueprint). "
            f'A helper module that is not a controller needs a name starting with "_".'
        )
    if not isinstance(blueprint, Blueprint):
        raise ControllerError(
            f"{file_of(module)}: `blueprint` is a {type(blueprint).__name__}, "
            f'not a flask.Blueprint. Use: blueprint = Blueprint("{name}", __name__)'
        )
    return blueprint


def file_of(module):
    """The module's file as the learner sees it, e.g. "controllers/books.py"."""
    path = Path(module.__file__).resolve()
    return path.relative_to(PACKAGE_DIR.parent).as_posix()
