"""The production chain, end to end: real nginx -> real gunicorn -> the app.

Every request here goes over loopback sockets through both servers, started as
our own processes by the course's `production_chain` fixture (the same code
`lessons run 05 --production` uses). One chain serves every test here but the
last, which stops gunicorn and so gets a chain of its own.
"""

import http.client
import json
import os
import signal
import time
from pathlib import Path

import pytest

from cors import EXPOSED_HEADERS


@pytest.fixture(scope="module")
def database(module_database):
    """The tests here share one chain, so they share its database too (`query`
    and `add_books` write to it)."""
    return module_database


def fetch(base_url, method, path, body=None, headers=None, source="127.0.0.1"):
    """One HTTP request over a fresh connection; returns (status, headers, body).

    `source` picks the loopback address we connect from, so the test can tell
    which client address the app believes it sees.
    """
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=15, source_address=(source, 0)
    )
    try:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if data else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def comparable(headers: dict, base_url: str) -> dict:
    """Headers that must match between nginx and gunicorn, with our own URL
    replaced so absolute links compare equal."""
    keep = ("Content-Type", "Link", "X-Total-Count", "Location", "Allow", "Vary")
    keep += ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods")
    keep += ("Access-Control-Allow-Headers", "Access-Control-Max-Age")
    return {
        name: value.replace(base_url, "BASE")
        for name, value in headers.items()
        if name in keep
    }


def test_reads_through_nginx_answer_exactly_as_the_app_does(chain, add_books):
    add_books(12)
    paths = [
        "/books",
        "/books?per_page=5&page=2&sort=-title",
        "/books?after_id=3&per_page=4",
        "/books/1",
        "/books/999999",
        "/books?page=0",
        "/health",
    ]
    for path in paths:
        via_nginx = fetch(chain.url, "GET", path)
        direct = fetch(chain.app_url, "GET", path)
        assert via_nginx[0] == direct[0], path
        assert comparable(via_nginx[1], chain.url) == comparable(
            direct[1], chain.app_url
        ), path
        assert via_nginx[2].replace(chain.url.encode(), b"BASE") == direct[2].replace(
            chain.app_url.encode(), b"BASE"
        ), path


def test_crud_through_nginx(chain):
    book = {"title": "Kindred", "author": "Octavia E. Butler", "price": "9.99"}
    status, headers, _ = fetch(chain.url, "POST", "/books", book)
    assert status == 201
    # Location is relative (RFC 9110 §10.2.2): the client resolves it against
    # the URL it asked, so it reaches the book through nginx too.
    path = headers["Location"]
    assert path.startswith("/books/")
    assert fetch(chain.url, "GET", path)[0] == 200
    assert fetch(chain.url, "PATCH", path, {"price": "7.50"})[0] == 200
    assert json.loads(fetch(chain.url, "GET", path)[2])["price"] == "7.50"
    assert fetch(chain.url, "DELETE", path)[0] == 204
    assert fetch(chain.url, "GET", path)[0] == 404


def test_the_app_sees_the_real_client_address(chain):
    status, _, body = fetch(chain.url, "GET", "/health", source="127.0.0.2")
    assert status == 200
    assert json.loads(body)["client"] == "127.0.0.2"


def test_a_client_cannot_spoof_its_address_with_x_forwarded_for(chain):
    spoof = {"X-Forwarded-For": "203.0.113.7"}
    _, _, body = fetch(chain.url, "GET", "/health", headers=spoof, source="127.0.0.3")
    assert json.loads(body)["client"] == "127.0.0.3"


def test_a_body_over_the_limit_gets_413_problem_details_from_nginx(chain):
    too_big = {"title": "x" * (70 * 1024), "author": "Someone"}
    origin = {"Origin": "http://127.0.0.1:8000"}
    status, headers, body = fetch(chain.url, "POST", "/books", too_big, origin)
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 413
    # nginx's own error still reaches an allowed page as itself, not as a
    # CORS failure, with the headers the app exposes (nginx.conf.template
    # repeats cors.py's list; this keeps the two the same):
    assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert headers["Access-Control-Expose-Headers"] == EXPOSED_HEADERS
    assert headers["Vary"] == "Origin"


def test_nginx_errors_give_other_origins_no_cors_headers(chain):
    too_big = {"title": "x" * (70 * 1024), "author": "Someone"}
    stranger = {"Origin": "http://127.0.0.1:8000.evil.example"}
    status, headers, _ = fetch(chain.url, "POST", "/books", too_big, stranger)
    assert status == 413
    assert not [name for name in headers if name.startswith("Access-Control-")]


def test_a_host_name_we_do_not_serve_is_refused(chain):
    status, headers, body = fetch(
        chain.url, "GET", "/books", headers={"Host": "evil.example"}
    )
    assert status == 421
    assert headers["Content-Type"] == "application/problem+json"
    assert b"evil.example" not in body


def test_a_cors_preflight_passes_through_nginx_unchanged(chain):
    headers = {
        "Origin": "http://127.0.0.1:8000",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    via_nginx = fetch(chain.url, "OPTIONS", "/books/1", headers=headers)
    direct = fetch(chain.app_url, "OPTIONS", "/books/1", headers=headers)
    assert via_nginx[0] == direct[0] == 204
    assert comparable(via_nginx[1], chain.url) == comparable(direct[1], chain.app_url)


def worker_pids(master_pid: int) -> set[int]:
    """The gunicorn workers: the master's child processes."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return {int(pid) for pid in children.read_text().split()}


def wait_for_workers(master_pid: int, count: int, not_this: int = 0) -> set[int]:
    """Poll (for at most 20 s) until the master has `count` workers, `not_this`
    not among them; return them. A bounded wait, not a timing assertion."""
    deadline = time.monotonic() + 20
    workers = worker_pids(master_pid)
    while time.monotonic() < deadline:
        if len(workers) == count and not_this not in workers:
            break
        time.sleep(0.1)
        workers = worker_pids(master_pid)
    return workers


def test_killing_a_worker_does_not_take_the_site_down(chain):
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc (Linux) to find gunicorn's workers")
    # The master listens before its workers have all started: wait for both.
    victim = sorted(wait_for_workers(chain.gunicorn.pid, 2))[0]
    os.kill(victim, signal.SIGKILL)
    statuses = [fetch(chain.url, "GET", "/books")[0] for _ in range(20)]
    assert statuses == [200] * 20
    # The master notices the dead worker and starts a replacement.
    workers = wait_for_workers(chain.gunicorn.pid, 2, not_this=victim)
    assert len(workers) == 2 and victim not in workers


def test_nginx_answers_503_problem_details_when_gunicorn_is_down(own_chain):
    own_chain.gunicorn.terminate()  # the master stops its workers, then itself
    own_chain.gunicorn.wait(timeout=30)
    origin = {"Origin": "http://localhost:8000"}
    status, headers, body = fetch(own_chain.url, "GET", "/books", headers=origin)
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert int(headers["Retry-After"]) > 0
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8000"
    assert json.loads(body)["status"] == 503
