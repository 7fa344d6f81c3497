"""CORS in a real browser: headless Chromium on one port calls the API on another.

Two loopback ports are two origins. The page is served from an origin the API
allows, or from one it does not, and writes what fetch() could do into the DOM,
which Chromium prints with --dump-dom.
"""

import pytest

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


@pytest.fixture
def page_origin(serve_folder, tmp_path):
    """The page's own origin: a static file server for the test's folder."""
    return serve_folder(tmp_path)


@pytest.fixture
def api_for(database, serve_wsgi):
    """`url = api_for(origin)`: the API over real HTTP, allowing that one origin."""

    def start(allowed_origin: str) -> str:
        return serve_wsgi(create_app({**database, "CORS_ORIGINS": allowed_origin}))

    return start


def run_page(dump_dom, page_origin, folder, api_url, book_id) -> str:
    """Write the page for this API, open it, and return what it wrote."""
    page = PAGE.replace("API_URL", api_url).replace("BOOK_ID", str(book_id))
    (folder / "page.html").write_text(page)
    return dump_dom(f"{page_origin}/page.html")  # the course's fixture: Chromium


def test_a_page_from_an_allowed_origin_reads_and_writes(
    dump_dom, page_origin, api_for, make_book, tmp_path
):
    make_book(title="First")
    book = make_book(title="Second")
    api_url = api_for(page_origin)
    dom = run_page(dump_dom, page_origin, tmp_path, api_url, book["id"])
    assert "GET 200 items=2 total=2" in dom
    assert "PUT 200 title=Edited in a browser" in dom


def test_a_page_from_another_origin_is_blocked(
    dump_dom, page_origin, api_for, make_book, client, tmp_path
):
    book = make_book(title="Untouched")
    api_url = api_for("http://127.0.0.1:1")  # allows some other origin only
    dom = run_page(dump_dom, page_origin, tmp_path, api_url, book["id"])
    assert "GET blocked: TypeError" in dom
    assert "PUT blocked: TypeError" in dom
    # The preflight failed, so the browser never sent the PUT itself:
    assert client.get(f"/books/{book['id']}").get_json()["title"] == "Untouched"
