"""Step 02: the same ideas as step 01, written with Flask.

In step 01 we wrote the WSGI callable by hand: read `environ`, pick an answer by
path, call `start_response`, return bytes. Here Flask does that plumbing. We write
one small function per URL, and Flask turns each request into a call to the right
function and each return value into a response.

`app` below is still a WSGI callable (PEP 3333): `app(environ, start_response)`.
That is why `flask run`, step 01's server and gunicorn can all serve it.
"""

from flask import Flask
from markupsafe import escape

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
