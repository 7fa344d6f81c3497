"""The same `app` served over a real socket by two WSGI servers.

Step 01's from-scratch server and gunicorn know nothing about Flask: they only
call `app(environ, start_response)`. If they can serve this app, Flask's app is
just a WSGI callable. Each server runs in its own process, started the way the
README shows, from this step's folder.
"""

import http.client
import json
import sys

import pytest


def server_command(server, port):
    """The command that serves app:app with `server` on `port`."""
    if server == "step 01 server":
        return [sys.executable, "../01_raw_wsgi/server.py", "--port", str(port)]
    # --no-control-socket: gunicorn 27 would otherwise create ~/.gunicorn/ for a
    # control socket that a test never uses.
    gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
    return [*gunicorn, "--bind", f"127.0.0.1:{port}"]


@pytest.fixture(scope="module", params=["step 01 server", "gunicorn"])
def port(request, step_dir, free_port, run_server):
    """Start one server serving app:app for this module's tests; give its port."""
    port = free_port()
    command = [*server_command(request.param, port), "app:app"]
    with run_server(command, port, cwd=step_dir):
        yield port


def fetch(port, method, path):
    """Send one request to 127.0.0.1:port; return (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_status_route_answers_json_over_a_real_socket(port):
    status, headers, body = fetch(port, "GET", "/api/status")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "step": "02_flask_minimal"}


def test_html_route_answers_over_a_real_socket(port):
    status, _headers, body = fetch(port, "GET", "/hello/Ada")
    assert status == 200
    assert body == b"<p>Hello, Ada!</p>"


def test_wrong_method_keeps_the_allow_header_over_a_real_socket(port):
    status, headers, body = fetch(port, "POST", "/api/status")
    assert status == 405
    assert "GET" in headers["Allow"]
    assert b"Method Not Allowed" in body
