"""`app` is a plain WSGI callable: call it by hand, as a server would (PEP 3333).

No test client here. We build the `environ` dict ourselves, pass our own
`start_response`, and wrap `app` in `wsgiref.validate.validator`, the standard
library's checker that fails on anything PEP 3333 forbids, on either side.
"""

from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest


def call_as_wsgi_server(app, method, path):
    """Call `app(environ, start_response)` like a WSGI server; return the answer."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",  # the app is mounted at the root of the site
        "PATH_INFO": path,  # the rest of the URL path: what the app routes on
        "QUERY_STRING": "",  # no "?..." part; validator() wants the key anyway
    }
    setup_testing_defaults(environ)  # fills in the other keys PEP 3333 requires
    answer = {"body": []}

    def start_response(status, headers, exc_info=None):
        """Remember status and headers; return the legacy write() callable."""
        answer["status"] = status
        answer["headers"] = dict(headers)
        return answer["body"].append

    result = validator(app)(environ, start_response)
    try:
        for chunk in result:  # the body: an iterable of bytes
            answer["body"].append(chunk)
    finally:
        result.close()  # PEP 3333: the server must call close() when there is one
    answer["body"] = b"".join(answer["body"])
    return answer


@pytest.mark.parametrize(
    ("method", "path", "status", "content_type"),
    [
        ("GET", "/", "200 OK", "text/html; charset=utf-8"),
        ("GET", "/hello/Ada", "200 OK", "text/html; charset=utf-8"),
        ("GET", "/api/status", "200 OK", "application/json"),
        ("GET", "/nope", "404 NOT FOUND", "text/html; charset=utf-8"),
        ("POST", "/", "405 METHOD NOT ALLOWED", "text/html; charset=utf-8"),
    ],
)
def test_app_called_directly_passes_wsgiref_validate(
    app, method, path, status, content_type
):
    answer = call_as_wsgi_server(app, method, path)
    assert answer["status"] == status
    assert answer["headers"]["Content-Type"] == content_type
    assert int(answer["headers"]["Content-Length"]) == len(answer["body"])


def test_app_called_directly_returns_the_same_bytes_as_the_test_client(app, client):
    answer = call_as_wsgi_server(app, "GET", "/api/status")
    assert answer["body"] == client.get("/api/status").data
