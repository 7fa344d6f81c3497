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

import json

from flask import Flask
from werkzeug.exceptions import HTTPException

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
    # Error handlers belong to the whole app, not to a controller: a 404 for a URL
    # that no controller knows is no controller's business.
    app.register_error_handler(HTTPException, http_error_as_json)
    return app


# --8<-- [end:create_app]


# --8<-- [start:errors]
def http_error_as_json(error):
    """Answer every HTTP error (404, 405, ...) with JSON instead of an HTML page.

    The body is a "problem details" object (RFC 9457, section 3): `type`,
    `title`, `status` and `detail`. "about:blank" as the type says that the
    status code is all there is to know (RFC 9457, section 4.2.1).
    """
    # get_response() builds Werkzeug's own response for this error, with the right
    # status and headers. Keeping it keeps the Allow header that a 405 must carry
    # (RFC 9110, section 15.5.6); we only swap the HTML body for JSON.
    response = error.get_response()
    response.content_type = "application/problem+json"
    problem = {
        "type": "about:blank",
        "title": error.name,
        "status": error.code,
        "detail": error.description,
    }
    response.set_data(json.dumps(problem))
    return response


# --8<-- [end:errors]
