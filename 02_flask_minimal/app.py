"""Step 02: the same ideas as step 01, written with Flask.

In step 01 we wrote the WSGI callable by hand: read `environ`, pick an answer by
path, call `start_response`, return bytes. Here Flask does that plumbing. We write
one small function per URL, and Flask turns each request into a call to the right
function and each return value into a response.

`app` below is still a WSGI callable (PEP 3333): `app(environ, start_response)`.
That is why `flask run`, step 01's server and gunicorn can all serve it.
"""

import json

from flask import Flask
from markupsafe import escape
from werkzeug.exceptions import HTTPException

# --8<-- [start:app]
# The whole application is one Flask object. `flask run` looks for a module-level
# variable called `app`, so this name matters. `__name__` tells Flask where this
# file lives (it looks for templates and static files next to it).
app = Flask(__name__)
# --8<-- [end:app]


# --8<-- [start:routes]
@app.get("/")
def index():
    """The home page: a short piece of HTML (Flask sends str as text/html)."""
    return (
        "<h1>Hello from Flask</h1>"
        '<p>Try <a href="/hello/Ada">/hello/Ada</a>'
        ' or <a href="/api/status">/api/status</a>.</p>'
    )


@app.get("/hello/<name>")
def hello(name):
    """Greet the name from the URL: Flask passes the `<name>` part as an argument."""
    # escape() turns < > & " ' into HTML entities, so /hello/<script>... shows
    # the text instead of running it in the visitor's browser (cross-site scripting).
    return f"<p>Hello, {escape(name)}!</p>"


@app.get("/api/status")
def status():
    """A JSON answer: Flask turns a returned dict into application/json."""
    return {"status": "ok", "step": "02_flask_minimal"}


# --8<-- [end:routes]


# --8<-- [start:errors]
@app.errorhandler(HTTPException)
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
