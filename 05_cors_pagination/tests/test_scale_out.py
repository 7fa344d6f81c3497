"""Two app servers behind one nginx: lose one whole gunicorn, lose no request.

`production_chain(..., app_servers=2)` (what `lessons run 05 --production
--app-servers 2` runs) starts two gunicorns on their own ports, both on the
test's database, in one nginx `upstream`. Then one of them is killed with
SIGKILL, master and workers at once, while clients keep asking.

The restart check waits for nginx's fail_timeout (10 s) to pass; it runs in a
thread from the module's start (`restarted` below), so the other tests here
run while it waits.
"""

import http.client
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

STEP_DIR = Path(__file__).resolve().parent.parent
LOAD_SECONDS = 1.5  # how long the clients keep asking (a bound, not a target)
CUT_OFF = -1  # fetch()'s status for an answer cut off in the middle
# Mostly waiting on nginx's timers: `lessons test` runs slow tests in a process
# of their own, beside the others (plain `pytest` runs them with the rest).
pytestmark = pytest.mark.slow


# deploy/README.md's gunicorn command, run from the step folder.
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]
GUNICORN_COMMAND = [*GUNICORN, "deploy.wsgi:app"]


@pytest.fixture
def chain(database, production_chain):
    """nginx in front of two gunicorns (2 workers each), for one test."""
    with production_chain(STEP_DIR, database, workers=2, app_servers=2) as running:
        yield running


def fetch(base_url, method, path, body=None):
    """One request over a fresh connection; (status, body), or (0, error)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=15)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError as error:  # a connection nginx dropped would count as lost
        return 0, str(error).encode()
    except http.client.IncompleteRead:
        # The answer was already on its way when its server died: nginx had
        # sent the head, so it cannot start again elsewhere. The client sees
        # fewer bytes than Content-Length said: a failure it can tell.
        return CUT_OFF, b""
    finally:
        connection.close()


def requests_served_by(log: Path) -> int:
    """How many requests a gunicorn's access log shows."""
    return sum(1 for line in log.read_text().splitlines() if '"GET ' in line)


def test_both_app_servers_take_requests(chain):
    for _ in range(20):
        assert fetch(chain.url, "GET", "/health")[0] == 200
    assert requests_served_by(chain.logs["gunicorn"]) > 0
    assert requests_served_by(chain.logs["gunicorn-2"]) > 0


def keep_asking(chain, method, path_for, body_for, until, answers):
    """Send requests one after another until `until`; note (method, n, status)."""
    number = 0
    while time.monotonic() < until:
        status, _ = fetch(chain.url, method, path_for(number), body_for(number))
        answers.append((method, number, status))
        number += 1


def test_killing_one_app_server_loses_no_idempotent_request(chain, add_books, query):
    book_id = add_books(1)[0]
    until = time.monotonic() + LOAD_SECONDS
    answers = []
    clients = []
    for reader in range(3):
        clients.append(
            (
                "GET",
                lambda n, r=reader: f"/books?per_page=5&page={n % 7 + 1 + r}",
                lambda n: None,
            )
        )
    replacement = {"title": "Same every time", "author": "Idempotent"}
    clients.append(("PUT", lambda n: f"/books/{book_id}", lambda n: replacement))
    clients.append(("GET", lambda n: f"/books/{book_id}", lambda n: None))
    for writer in range(2):
        clients.append(
            (
                "POST",
                lambda n: "/books",
                lambda n, w=writer: {"title": f"Post {w}-{n}", "author": "Once"},
            )
        )
    threads = [
        threading.Thread(
            target=keep_asking, args=(chain, *client, until, answers), daemon=True
        )
        for client in clients
    ]
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS / 3)
    victim = chain.app_servers[1]
    os.killpg(victim.pid, signal.SIGKILL)  # its own session: master and workers
    answered_before_the_kill = len(answers)
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 30)

    idempotent = [status for method, _, status in answers if method != "POST"]
    assert len(idempotent) > 50  # the load really ran
    # ...and went on after the kill, answered by the gunicorn still running.
    served_after_the_kill = [
        status
        for method, _, status in answers[answered_before_the_kill:]
        if method != "POST" and status == 200
    ]
    assert len(served_after_the_kill) > 10
    # Every idempotent request that nginx could send again succeeded: no
    # refused connection, no 502 or 503. Only an answer the dying server was
    # already sending can be cut off (a kill between two writes: rare), and
    # the client can tell, since the body is shorter than its Content-Length.
    assert [status for status in idempotent if status not in (200, CUT_OFF)] == []
    # The killed gunicorn has 2 workers: at most 2 answers were being written.
    assert [status for _, _, status in answers].count(CUT_OFF) <= 2
    # A POST is never retried by nginx: it either succeeded (201), failed
    # cleanly with nginx's 503 problem, or (being written at the kill) was cut
    # off after it was stored; whichever, it is stored at most once.
    posts = [(number, status) for method, number, status in answers if method == "POST"]
    assert {status for _, status in posts} <= {201, 503, CUT_OFF}
    stored = query("SELECT title, COUNT(*) AS copies FROM books GROUP BY title")
    copies = {row["title"]: row["copies"] for row in stored}
    assert max(copies.values()) == 1
    created = sum(1 for _, status in posts if status == 201)
    assert created <= sum(1 for title in copies if title.startswith("Post "))


def kill_restart_and_ask(chain, database, run_server, stop):
    """Kill the second gunicorn, start it again on its port, and ask until
    nginx sends it requests again; give what each step saw.

    Returns (statuses while it was down, statuses while waiting, requests the
    restarted server served). `stop` set: give up early (the test was not run).
    """
    victim_url = chain.app_urls[1]
    os.killpg(chain.app_servers[1].pid, signal.SIGKILL)
    while_down = [fetch(chain.url, "GET", "/health")[0] for _ in range(10)]

    # Start it again on its old port, as its supervisor (systemd) would.
    port = int(victim_url.rsplit(":", 1)[1])
    log = chain.folder / "gunicorn-2-again.log"
    environment = {
        **os.environ,
        **database,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    waiting = []
    with run_server(GUNICORN_COMMAND, port, log=log, cwd=STEP_DIR, env=environment):
        # nginx leaves a failed server out for fail_timeout (10 s), then tries
        # it again: keep asking for at most 30 s until it has served some.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and requests_served_by(log) == 0:
            if stop.is_set():
                break
            waiting.append(fetch(chain.url, "GET", "/health")[0])
            time.sleep(0.2)
        return while_down, waiting, requests_served_by(log)


@pytest.fixture(scope="module", autouse=True)
def restarted(module_database, production_chain, run_server):
    """kill_restart_and_ask() on a chain of its own, in a thread started before
    this module's first test; `restarted.result(timeout)` waits for it."""
    stop = threading.Event()
    with (
        production_chain(STEP_DIR, module_database, workers=2, app_servers=2) as chain,
        ThreadPoolExecutor(max_workers=1) as in_the_background,
    ):
        yield in_the_background.submit(
            kill_restart_and_ask, chain, module_database, run_server, stop
        )
        stop.set()  # when the restart test was not selected, do not wait it out


def test_nginx_uses_a_restarted_app_server_again(restarted):
    while_down, waiting, served = restarted.result(timeout=60)  # a bound for a hang
    assert while_down == [200] * 10  # the other one serves
    assert set(waiting) <= {200}  # ... and goes on serving while nginx waits
    assert served > 0  # nginx came back to the restarted server
