"""The application on its own: every route, checked by wsgiref.validate.

`wsgiref.validate.validator` wraps an app and checks both sides of PEP 3333 as the
call happens: what the server passes in, and what the app does with it.
"""

import io
import json
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from app import application


def call(method="GET", path="/", query="", body=b"", content_type=None):
    """Call the app like a server would, through the validator; return the parts."""
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path}
    environ["QUERY_STRING"] = query
    environ["wsgi.input"] = io.BytesIO(body)
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    setup_testing_defaults(environ)  # fills in the rest with valid values
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))
        return lambda data: None

    result = validator(application)(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # the validator checks that close() is called
    return started["status"], started["headers"], body


ROUTES = [
    ("GET", "/", ""),
    ("HEAD", "/", ""),
    ("GET", "/hello", "name=Ada"),
    ("GET", "/environ", ""),
    ("POST", "/echo", ""),
    ("GET", "/no-such-page", ""),
    ("DELETE", "/echo", ""),
]


@pytest.mark.parametrize(("method", "path", "query"), ROUTES)
def test_every_route_passes_the_validator_with_a_correct_content_length(
    method, path, query
):
    _, headers, body = call(method, path, query, body=b"x" * (method == "POST"))
    assert int(headers["Content-Length"]) == len(body)
    if headers["Content-Type"].startswith("text/"):
        assert headers["Content-Type"].endswith("; charset=utf-8")  # text names it


def test_home_page_is_html_that_links_the_routes():
    status, headers, body = call("GET", "/")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'href="/hello?name=Ada"' in body
    assert b'href="/environ"' in body


@pytest.mark.parametrize(
    ("query", "greeting"),
    [
        ("name=Ada", "Hello, Ada!"),
        ("", "Hello, world!"),
        ("name=", "Hello, world!"),
        ("name=Zo%C3%AB", "Hello, Zoë!"),  # UTF-8, percent-encoded, as browsers send
        ("name=%3Cscript%3E", "Hello, &lt;script&gt;!"),  # escaped, never run
    ],
)
def test_hello_greets_the_name_from_the_query_string(query, greeting):
    status, headers, body = call("GET", "/hello", query)
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<p>{greeting}</p>" in body.decode("utf-8")


@pytest.mark.parametrize(
    ("body", "content_type", "expected_type"),
    [
        (b'{"a": 1}', "application/json", "application/json"),
        (bytes(range(256)), None, "application/octet-stream"),
        (b"", "text/plain", "text/plain"),
    ],
)
def test_echo_returns_exactly_the_request_body(body, content_type, expected_type):
    status, headers, echoed = call(
        "POST", "/echo", body=body, content_type=content_type
    )
    assert status == "200 OK"
    assert echoed == body
    assert headers["Content-Type"] == expected_type


def test_environ_shows_the_cgi_and_wsgi_keys_as_json():
    _, headers, body = call("GET", "/environ", "a=1")
    assert headers["Content-Type"] == "application/json"
    shown = json.loads(body)
    assert shown["REQUEST_METHOD"] == "GET"
    assert shown["QUERY_STRING"] == "a=1"
    assert shown["wsgi.version"] == [1, 0]
    assert shown["wsgi.input"].startswith("<")  # an object, shown by its repr()


def test_unknown_path_is_404_plain_text():
    status, headers, body = call("GET", "/nope")
    assert status == "404 Not Found"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == b"Not Found: /nope\n"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("DELETE", "/echo", "POST"), ("GET", "/echo", "POST"), ("POST", "/", "GET, HEAD")],
)
def test_wrong_method_is_405_with_an_allow_header(method, path, allow):
    status, headers, _ = call(method, path)
    assert status == "405 Method Not Allowed"
    assert headers["Allow"] == allow
