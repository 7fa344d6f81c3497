"""The app from create_app() served over a real socket, as the README runs it.

Plain `flask run` finds the factory by its name; gunicorn calls it when the app
is written as a call, `app:create_app()`. Each server runs in its own process,
started from this step's folder, with the MYSQL_* settings in its environment,
the way `eval "$(lessons db env)"` puts them there.
"""

import http.client
import json
import os
import sys

import pytest


def server_command(server, port):
    """The command that serves the app from create_app() with `server` on `port`."""
    if server == "flask run":
        # No --app: Flask finds app.py, and create_app() in it, by itself.
        return [sys.executable, "-m", "flask", "run", "--port", str(port)]
    # --no-control-socket: gunicorn 27 would otherwise create ~/.gunicorn/ for a
    # control socket that a test never uses.
    gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
    return [*gunicorn, "--bind", f"127.0.0.1:{port}", "app:create_app()"]


@pytest.fixture(scope="module", params=["flask run", "gunicorn"])
def port(request, step_dir, module_database, free_port, run_server):
    """Start one server for this module's tests, on one database; give its port."""
    port = free_port()
    # Plain means plain: no FLASK_APP or FLASK_DEBUG from the shell that runs pytest.
    environment = dict(os.environ)
    environment.pop("FLASK_APP", None)
    environment.pop("FLASK_DEBUG", None)
    environment.update(module_database)  # MYSQL_HOST, MYSQL_PORT, ...
    command = server_command(request.param, port)
    with run_server(command, port, cwd=step_dir, env=environment):
        yield port


def fetch(port, method, path, body=None):
    """Send one request to 127.0.0.1:port; return (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {} if body is None else {"Content-Type": "application/json"}
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_status_route_answers_json_over_a_real_socket(port):
    status, headers, body = fetch(port, "GET", "/api/status")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "step": "04_mysql_crud"}


def test_html_route_answers_over_a_real_socket(port):
    status, _headers, body = fetch(port, "GET", "/hello/Ada")
    assert status == 200
    assert body == b"<p>Hello, Ada!</p>"


def test_wrong_method_keeps_the_allow_header_over_a_real_socket(port):
    status, headers, body = fetch(port, "POST", "/api/status")
    assert status == 405
    assert "GET" in headers["Allow"]
    assert json.loads(body)["status"] == 405


def test_health_reports_the_database_over_a_real_socket(port):
    status, _headers, body = fetch(port, "GET", "/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_a_created_book_is_served_at_its_location_over_a_real_socket(port):
    book = json.dumps({"title": "Dune", "author": "Frank Herbert", "price": "9.99"})
    status, headers, body = fetch(port, "POST", "/books", book.encode())
    assert status == 201
    status, _headers, stored = fetch(port, "GET", headers["Location"])
    assert status == 200
    assert json.loads(stored) == json.loads(body)
    assert json.loads(stored)["price"] == "9.99"
