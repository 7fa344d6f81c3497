"""Step 03: an application factory, and controllers that register themselves.

In step 02, importing app.py built the app, and every route lived in this file.
Now:

- `create_app()` builds a new app each time it is called (an "application
  factory"), with the settings the caller gives it;
- the routes live in the `controllers/` package, one module per subject, and the
  package registers every module it holds: adding a controller is adding a file.

What `create_app()` returns is still a WSGI callable (PEP 3333), like step 02's
`app`: only the way it is made has changed.
"""

from flask import Flask

from controllers import register_controllers


# --8<-- [start:create_app]
def create_app(test_config=None):
    """Build and return a new Flask app with every controller registered.

    Why a function, and not step 02's `app = Flask(__name__)` at module level:

    - tests: each test builds an app of its own, with its own settings
      (`create_app({"TESTING": True})`), so no test leaks into another;
    - configuration: settings are chosen when the app is built, not frozen at
      the moment app.py is first imported;
    - several apps: one process can hold two apps with different settings.

    `flask run` still works with no arguments: when app.py has no `app`
    variable, Flask looks for a function named `create_app` and calls it.
    """
    app = Flask(__name__)
    if test_config is not None:
        app.config.update(test_config)  # the caller's settings win
    register_controllers(app)  # every module in controllers/ adds its routes
    return app


# --8<-- [end:create_app]
