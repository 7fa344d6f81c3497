"""The home controller: step 02's routes, moved from app.py into a blueprint.

A blueprint is a set of routes that belongs to no app yet. `create_app()` has
`controllers/__init__.py` register it, and then its routes are the app's routes.
"""

from flask import Blueprint
from markupsafe import escape

# The name ("home") must be unique in the app; Flask puts it in front of each
# endpoint name ("home.index"), e.g. for url_for("home.index").
blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def index():
    """The home page: a short piece of HTML (Flask sends str as text/html)."""
    return (
        "<h1>Hello from Flask</h1>"
        '<p>Try <a href="/hello/Ada">/hello/Ada</a>,'
        ' <a href="/api/status">/api/status</a>,'
        ' <a href="/books">/books</a> or <a href="/health">/health</a>.</p>'
    )


@blueprint.get("/hello/<name>")
def hello(name):
    """Greet the name from the URL: Flask passes the `<name>` part as an argument."""
    # escape() turns < > & " ' into HTML entities, so /hello/<script>... shows
    # the text instead of running it in the visitor's browser (cross-site scripting).
    return f"<p>Hello, {escape(name)}!</p>"


@blueprint.get("/api/status")
def status():
    """A JSON answer: Flask turns a returned dict into application/json."""
    return {"status": "ok", "step": "04_mysql_crud"}
