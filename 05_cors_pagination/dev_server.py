"""The development server's own error answers, as problem details too.

`flask run` serves the app with Werkzeug's development server, which is built
on Python's http.server. A request it cannot even read (a request line over
64 KiB, more than 100 headers, a line that is not HTTP) never reaches the app:
the server answers by itself, with a small HTML page. This module makes those
answers RFC 9457 problem details, like every other error of the API.

It changes Werkzeug's request handler for the whole process, which is why
`create_app()` calls it only once and why it does nothing but replace the one
method that writes that page. gunicorn and nginx have error pages of their
own; deploy/ deals with those.
"""

import json
from http import HTTPStatus

from werkzeug.serving import WSGIRequestHandler

# 204, 205 and 304 answers never have a body (RFC 9110 §15.3.5, §15.3.6, §15.4.5).
NO_BODY = (HTTPStatus.NO_CONTENT, HTTPStatus.RESET_CONTENT, HTTPStatus.NOT_MODIFIED)


def send_problem(handler, code: int, message=None, explain=None) -> None:
    """http.server's send_error(), with a problem details body instead of HTML."""
    title, description = handler.responses.get(code, ("Error", "Error"))
    # `message` may quote what the client sent: json.dumps() makes it safe
    # JSON, where http.server's page only escaped it for HTML.
    detail = explain or message or description
    handler.log_error("code %d, message %s", code, message or title)
    if handler.request_version == "HTTP/0.9":
        # The request line could not be read, so http.server assumed HTTP/0.9,
        # whose answers have no status line and no headers: answer in HTTP/1.1.
        handler.request_version = "HTTP/1.1"
    handler.send_response(code, title)
    handler.send_header("Connection", "close")
    body = b""
    if code >= 200 and code not in NO_BODY:
        problem = {"type": "about:blank", "title": title, "status": code}
        body = json.dumps({**problem, "detail": detail}).encode("utf-8")
        handler.send_header("Content-Type", "application/problem+json")
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)


def answer_server_errors_as_problems() -> None:
    """Make the development server use send_problem() for its own errors."""
    WSGIRequestHandler.send_error = send_problem
