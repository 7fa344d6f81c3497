"""Fixtures for step 01's tests: our server, in a thread, on a free loopback port."""

import contextlib
import io
import socket
import sys
import threading
from pathlib import Path

import pytest

STEP_DIR = Path(__file__).resolve().parent.parent
# Import this step's modules (app.py, server.py, ...) the way a learner's project
# does: as top-level modules from the step folder.
sys.path.insert(0, str(STEP_DIR))

from app import application  # noqa: E402  (needs the sys.path line above)
from server import WSGIServer  # noqa: E402


@contextlib.contextmanager
def running_in_thread(app, **options):
    """Serve `app` from a background thread on a free port for the `with` block."""
    server = WSGIServer("127.0.0.1", 0, app, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        # serve_forever() notices shutdown() between two accepts, which wait up
        # to 0.1 s (the listener's timeout); a connection ends the wait at once.
        with contextlib.suppress(OSError):
            socket.create_connection(server.server_address, timeout=5).close()
        thread.join()


@pytest.fixture
def serve():
    """Start our server in a thread for any app: `address = serve(app)`.

    Each server listens on a free port (port 0) and is stopped after the test.
    `serve.log` holds the access log and tracebacks the server wrote.
    """
    with contextlib.ExitStack() as stack:

        def start(app, **options):
            """Serve `app` until the test ends; return its (host, port)."""
            server = stack.enter_context(
                running_in_thread(app, log_file=start.log, **options)
            )
            return server.server_address

        start.log = io.StringIO()
        yield start


@pytest.fixture
def address(serve):
    """The address of our server serving app.py's application."""
    return serve(application)


@pytest.fixture(scope="session")
def step_dir():
    """This step's folder: where a learner runs `python server.py`."""
    return STEP_DIR
