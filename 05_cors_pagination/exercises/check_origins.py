"""Check of exercise 05-origins: exact-match CORS, in curl's view and a browser's.

Run by `lessons practice check` on the learner's workspace, on a real database
and in headless Chromium: the page is served from one loopback port, the API
from another, and two ports are two origins.
"""

import pytest

from lessons.practice_check import shown

ALLOWED = "http://localhost:3000"
PAGE = """<!doctype html><pre id="result">running</pre><script>
fetch("API_URL/books").then(r => r.json())
  .then(items => { document.getElementById("result").textContent =
                   "read " + items.items.length + " books"; })
  .catch(error => { document.getElementById("result").textContent =
                    "blocked: " + error.name; });
</script>"""


@pytest.fixture
def client(learner, database):
    """The workspace's app allowing one origin, http://localhost:3000."""
    app = learner("app").create_app(
        {"TESTING": True, **database, "CORS_ORIGINS": ALLOWED}
    )
    return app.test_client()


def test_an_allowed_origin_is_echoed(client):
    """An allowed Origin gets that exact Access-Control-Allow-Origin back."""
    response = client.get("/books", headers={"Origin": ALLOWED})
    assert response.headers.get("Access-Control-Allow-Origin") == ALLOWED, shown(
        response
    )


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:3000.evil.example", "http://localhost:3001", "null"],
)
def test_look_alikes_and_null_get_no_cors_headers(client, origin):
    """Look-alikes (.evil.example, another port) and "null" get no Allow-Origin."""
    response = client.get("/books", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers, (
        f"Origin: {origin}\n{shown(response)}"
    )


def test_a_browser_on_an_allowed_origin_can_read_the_books(
    learner, database, serve_wsgi, serve_folder, dump_dom, tmp_path
):
    """Chromium on an allowed origin reads GET /books from the API's other origin."""
    origin = serve_folder(tmp_path)  # the page's own origin
    app = learner("app").create_app({**database, "CORS_ORIGINS": origin})
    api_url = serve_wsgi(app)
    (tmp_path / "page.html").write_text(PAGE.replace("API_URL", api_url))
    dom = dump_dom(f"{origin}/page.html")
    written = dom.split('<pre id="result">')[-1].split("</pre>")[0]
    assert "read 0 books" in dom, (
        f"the page on {origin} fetched {api_url}/books and wrote: {written}"
    )
