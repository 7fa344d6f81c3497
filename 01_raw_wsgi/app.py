"""A web application with nothing but WSGI: one function, no framework.

Step 01 starts at the bottom of the stack. Any WSGI server (ours in server.py,
wsgiref, gunicorn) calls `application(environ, start_response)` once per request
(PEP 3333). Everything a framework like Flask does later is built on this call.
"""

import html
import json
from urllib.parse import parse_qs

HTML = "text/html; charset=utf-8"  # text types name their encoding (RFC 9110 §8.3)
TEXT = "text/plain; charset=utf-8"
HOME_PAGE = """\
<!doctype html>
<html lang="en">
<title>Step 01: raw WSGI</title>
<h1>Step 01: raw WSGI</h1>
<ul>
  <li><a href="/hello?name=Ada">/hello?name=Ada</a>: reads the query string</li>
  <li><a href="/environ">/environ</a>: the environ dict the server built</li>
  <li>POST /echo: sends your request body back</li>
</ul>
</html>
"""


def respond(start_response, status, content_type, body, extra_headers=()):
    """Start the response and return its body: one bytes object in a list."""
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),  # so the client knows where it ends
        *extra_headers,
    ]
    start_response(status, headers)
    return [body]


def home(environ, start_response):
    """GET /: a small HTML page that links to the other routes."""
    body = HOME_PAGE.encode("utf-8")
    return respond(start_response, "200 OK", HTML, body)


def hello(environ, start_response):
    """GET /hello?name=Ada: greet someone, safely."""
    # WSGI hands over the raw bytes as latin-1 text (PEP 3333 "Unicode Issues");
    # turn them back into bytes, then read them as UTF-8, which browsers send.
    raw_query = environ.get("QUERY_STRING", "").encode("latin-1")
    query = parse_qs(raw_query.decode("utf-8", errors="replace"))
    name = query.get("name", ["world"])[0]
    # html.escape: a name like <script> must show up as text, not run as code.
    page = (
        f"<!doctype html>\n<title>Hello</title>\n<p>Hello, {html.escape(name)}!</p>\n"
    )
    return respond(start_response, "200 OK", HTML, page.encode("utf-8"))


def echo(environ, start_response):
    """POST /echo: send back exactly the bytes of the request body."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        body = b"Content-Length must be a number\n"
        return respond(start_response, "400 Bad Request", TEXT, body)
    # Read exactly CONTENT_LENGTH bytes: reading more could wait forever (PEP 3333).
    body = environ["wsgi.input"].read(length)
    content_type = environ.get("CONTENT_TYPE") or "application/octet-stream"
    # nosniff: the browser must believe our Content-Type, not guess from the bytes.
    safety = [("X-Content-Type-Options", "nosniff")]
    return respond(start_response, "200 OK", content_type, body, safety)


def show_environ(environ, start_response):
    """GET /environ: the CGI and wsgi.* keys of the environ, as JSON (for learning)."""
    shown = {}
    for key, value in sorted(environ.items()):
        if key.isupper() or key.startswith("wsgi."):
            # Streams and other objects are not JSON: show their repr() instead.
            plain = isinstance(value, (str, int, float, bool, type(None), tuple))
            shown[key] = value if plain else repr(value)
    body = (json.dumps(shown, indent=2) + "\n").encode()
    return respond(start_response, "200 OK", "application/json", body)


# The route table: path -> (allowed methods, handler). HEAD is GET without the
# body; the server leaves the body out, so every GET route accepts HEAD too.
ROUTES = {
    "/": (("GET", "HEAD"), home),
    "/hello": (("GET", "HEAD"), hello),
    "/echo": (("POST",), echo),
    "/environ": (("GET", "HEAD"), show_environ),
}


# --8<-- [start:application]
def application(environ, start_response):
    """The WSGI application: the server calls this once for every request."""
    path = environ.get("PATH_INFO") or "/"
    if path not in ROUTES:
        body = b"Not Found: " + path.encode("latin-1") + b"\n"  # the bytes as sent
        return respond(start_response, "404 Not Found", TEXT, body)
    methods, handler = ROUTES[path]
    if environ["REQUEST_METHOD"] not in methods:
        # 405 must say which methods would work (RFC 9110 §15.5.6).
        allow = [("Allow", ", ".join(methods))]
        body = f"Method Not Allowed: use {', '.join(methods)}\n".encode()
        return respond(start_response, "405 Method Not Allowed", TEXT, body, allow)
    return handler(environ, start_response)


# --8<-- [end:application]
