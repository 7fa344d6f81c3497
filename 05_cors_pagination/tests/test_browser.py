"""CORS in a real browser: headless Chromium on one port calls the API on another.

Two loopback ports are two origins. The page is served from an origin the API
allows, or from one it does not, and writes what fetch() could do into the DOM,
which Chromium prints with --dump-dom.
"""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from app import create_app

# The page: a GET that reads the items and X-Total-Count, then a JSON PUT, which
# is not a "simple" request, so the browser sends a preflight first.
PAGE = """<!doctype html>
<html><body><pre id="result">running</pre>
<script>
const api = "API_URL";
const lines = [];
async function main() {
  try {
    const list = await fetch(api + "/books?per_page=2");
    const body = await list.json();
    lines.push("GET " + list.status + " items=" + body.items.length
               + " total=" + list.headers.get("X-Total-Count"));
  } catch (error) {
    lines.push("GET blocked: " + error.name);
  }
  try {
    const put = await fetch(api + "/books/BOOK_ID", {
      method: "PUT",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({title: "Edited in a browser", author: "Chromium"}),
    });
    const book = await put.json();
    lines.push("PUT " + put.status + " title=" + book.title);
  } catch (error) {
    lines.push("PUT blocked: " + error.name);
  }
  document.getElementById("result").textContent = lines.join("\\n");
}
main();
</script></body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the page's folder without printing a line per request."""

    def log_message(self, format, *args):
        pass


def serve_in_thread(server) -> threading.Thread:
    """Run a server's serve_forever() in a background thread."""
    # It looks for shutdown() every poll_interval (0.5 s by default): a test
    # that stops it need not wait that long.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread


@pytest.fixture
def page_server(tmp_path):
    """A static file server for the test page: the page's own origin."""
    handler = partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_in_thread(server)
    yield server, tmp_path
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_for(database):
    """Serve the API over real HTTP, allowing one origin, for the test's duration."""
    servers = []

    def start(allowed_origin: str) -> str:
        app = create_app({**database, "CORS_ORIGINS": allowed_origin})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serve_in_thread(server)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run_page(dump_dom, page_server, api_url, book_id) -> str:
    """Write the page for this API, open it, and return what it wrote."""
    server, folder = page_server
    page = PAGE.replace("API_URL", api_url).replace("BOOK_ID", str(book_id))
    (folder / "page.html").write_text(page)
    url = f"http://127.0.0.1:{server.server_port}/page.html"
    return dump_dom(url)  # the course's fixture: headless Chromium


def test_a_page_from_an_allowed_origin_reads_and_writes(
    dump_dom, page_server, api_for, make_book
):
    make_book(title="First")
    book = make_book(title="Second")
    page_origin = f"http://127.0.0.1:{page_server[0].server_port}"
    api_url = api_for(page_origin)
    dom = run_page(dump_dom, page_server, api_url, book["id"])
    assert "GET 200 items=2 total=2" in dom
    assert "PUT 200 title=Edited in a browser" in dom


def test_a_page_from_another_origin_is_blocked(
    dump_dom, page_server, api_for, make_book, client
):
    book = make_book(title="Untouched")
    api_url = api_for("http://127.0.0.1:1")  # allows some other origin only
    dom = run_page(dump_dom, page_server, api_url, book["id"])
    assert "GET blocked: TypeError" in dom
    assert "PUT blocked: TypeError" in dom
    # The preflight failed, so the browser never sent the PUT itself:
    assert client.get(f"/books/{book['id']}").get_json()["title"] == "Untouched"
