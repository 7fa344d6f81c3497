"""Every error as RFC 9457 "problem details" JSON (new in step 04).

Flask answers errors with an HTML page by default. An API client wants JSON it can
read, so every error becomes one shape, `application/problem+json`:

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "There is no book with id 7."}

"about:blank" is RFC 9457's default type (section 4.2.1): "nothing more to know
than the status code", and then the title is the status code's name. A 422 carries
more, the `errors` list, so it gets a type of its own: a URI that names it (a real
API puts its documentation at that address; ours is a reserved .example name).
"""

from flask import Flask, current_app, jsonify
from mysql.connector.errors import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    ReadTimeoutError,
    WriteTimeoutError,
)
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from db_connection import DatabaseUnavailable
from validation import ValidationError

VALIDATION_TYPE = "https://wsgi-to-flask.example/problems/invalid-fields"
RETRY_AFTER_SECONDS = 5  # how long a client should wait before asking again
# What mysql-connector raises when the database cannot be reached or kept:
# the server went away, or it stopped answering for longer than the timeout.
CONNECTION_ERRORS = (
    InterfaceError,
    OperationalError,
    ReadTimeoutError,
    WriteTimeoutError,
)


# --8<-- [start:problem]
def problem(status, detail, problem_type="about:blank", title=None, **extensions):
    """An RFC 9457 problem details response: type, title, status, detail, extras."""
    body = {
        "type": problem_type,
        "title": title or HTTP_STATUS_CODES[status],  # "Not Found", ...
        "status": status,
        "detail": detail,
        **extensions,  # RFC 9457 section 3.2: members a problem type adds
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"  # RFC 9457 section 3
    return response


# --8<-- [end:problem]


def http_error(error: HTTPException):
    """Any HTTP error Flask raises (404, 405, 413, ...) or we raise (400, 409, 415)."""
    response = problem(error.code, error.description)
    if error.code == 405:
        # RFC 9110 section 15.5.6: a 405 must say which methods would work.
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def invalid_fields(error: ValidationError):
    """422: the JSON was fine, but some fields are not; list every one."""
    return problem(
        422,
        "Some fields are not valid; see errors.",
        problem_type=VALIDATION_TYPE,
        title="Invalid fields",
        errors=error.errors,
    )


def database_unavailable(error: Exception):
    """503 + Retry-After: the database cannot be reached (now); try again soon."""
    # The reason (wrong password, server stopped, ...) goes to the log for you,
    # not to the client.
    current_app.logger.warning("database unavailable: %s", error)
    response = problem(503, "The database is not reachable right now. Try again.")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)  # RFC 9110 10.2.3
    return response


def programming_error(error: ProgrammingError):
    """A ProgrammingError is a bug in our SQL (500), unless the connection broke.

    mysql-connector asks the server a question of its own (its SQL mode) just
    before it sends our first query with %s values. When the connection breaks
    right then, it reports "Failed processing format-parameters" as a
    ProgrammingError, with the real reason, the lost connection, as its cause.
    """
    if isinstance(error.__cause__, CONNECTION_ERRORS):
        return database_unavailable(error)
    raise error  # a real bug: Flask logs the traceback and answers 500


def internal_error(error: InternalServerError):
    """500: a bug. Flask has already logged the traceback; the client gets none."""
    return problem(500, "Something went wrong on our side. It has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Answer every error with problem details instead of Flask's HTML pages."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ValidationError, invalid_fields)
    app.register_error_handler(DatabaseUnavailable, database_unavailable)
    # The connection broke in the middle of a request (the server went away),
    # or the server stopped answering (db_connection.py's query timeout).
    for error_class in CONNECTION_ERRORS:
        app.register_error_handler(error_class, database_unavailable)
    app.register_error_handler(ProgrammingError, programming_error)
    app.register_error_handler(InternalServerError, internal_error)
