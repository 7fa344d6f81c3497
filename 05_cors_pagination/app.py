"""Step 05: the books API with CORS and pagination, written by hand.

Step 04 gave us the books API on MySQL. This step adds what a web page on
another origin needs to use it, and what a long list needs:

- `cors.py`: which other origins may read our answers (CORS_ORIGINS), and the
  answer to a browser's preflight question;
- `pagination.py`: `page`/`per_page` and keyset `after_id`, the Link header;
- `controllers/books.py`: `GET /books` pages, sorts and filters;
- `deploy/`: the same app behind gunicorn and nginx, as production runs it.

What `create_app()` returns is still a WSGI callable (PEP 3333), like step 02's
`app`: only the way it is made has changed.
"""

import os

from flask import Flask

from controllers import register_controllers
from cors import DEFAULT_ORIGINS, init_cors
from db_commands import init_db_command, seed_db_command
from db_connection import DEFAULT_SETTINGS, close_db, settings_from_environment
from dev_server import answer_server_errors_as_problems
from errors import register_error_handlers
from validation import BookIdConverter, refuse_lowercase_method


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
    app.config.from_mapping(
        # A bigger request body is refused with 413 before anyone reads it.
        MAX_CONTENT_LENGTH=64 * 1024,
        # MYSQL_HOST, MYSQL_PORT, ...: the defaults (db_connection.py).
        **DEFAULT_SETTINGS,
        # The origins whose pages may read our answers, comma-separated.
        CORS_ORIGINS=DEFAULT_ORIGINS,
    )
    if test_config is None:
        # The real app (flask run, gunicorn): the settings and CORS_ORIGINS from
        # the environment or a .env file, read once, when the app is built.
        app.config.from_mapping(settings_from_environment())
        app.config["CORS_ORIGINS"] = os.environ.get("CORS_ORIGINS", DEFAULT_ORIGINS)
    else:
        # A test's app: the defaults and the test's settings; never your .env.
        app.config.from_mapping(test_config)
    # JSON as people read it: keys in the order the code writes them (id, title,
    # ...) instead of sorted, and "本" as UTF-8 instead of the escape "\u672c".
    # Either way it is the same JSON to any client.
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    # <id:book_id> in a route: ASCII digits only (validation.py). Converters must
    # be known before the controllers add their routes.
    app.url_map.converters["id"] = BookIdConverter
    app.before_request(refuse_lowercase_method)  # `get` is not `GET` (RFC 9110)
    app.teardown_appcontext(close_db)  # each request's connection closes at its end
    app.cli.add_command(init_db_command)  # flask --app app init-db
    app.cli.add_command(seed_db_command)  # flask --app app seed-db
    register_controllers(app)  # every module in controllers/ adds its routes
    # Error handlers belong to the whole app, not to a controller: a 404 for a URL
    # that no controller knows is no controller's business.
    register_error_handlers(app)
    # ... and so do the errors `flask run`'s server answers by itself (dev_server.py).
    answer_server_errors_as_problems()
    # CORS headers on every answer, the error handlers' answers included (cors.py).
    init_cors(app)
    return app
