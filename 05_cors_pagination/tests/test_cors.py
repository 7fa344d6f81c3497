"""CORS, request by request: who gets which Access-Control-* headers.

The browser test (test_browser.py) shows what a real page can and cannot read;
these tests pin down every header behind that, case by case.
"""

import pytest

from app import create_app

ALLOWED = "http://127.0.0.1:8000"
LOOK_ALIKES = [
    "http://127.0.0.1:8000.evil.example",  # our origin as a prefix of theirs
    "http://127.0.0.1:8000/",  # a trailing slash: not the same string
    "https://127.0.0.1:8000",  # another scheme
    "http://127.0.0.1:8001",  # another port
    "http://127.0.0.1",  # no port at all
    "http://evil.example",  # a stranger
    "null",  # sandboxed frames and files: anyone can send it
]


def cors_headers(response) -> dict[str, str]:
    """Just the Access-Control-* headers of a response."""
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def preflight(client, path="/books/1", origin=ALLOWED, method="PUT"):
    """Send what a browser sends before a cross-origin PUT with a JSON body."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_a_request_without_origin_gets_vary_and_no_cors_headers(client):
    response = client.get("/books")
    assert response.status_code == 200
    assert "Origin" in response.vary
    assert cors_headers(response) == {}


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "http://localhost:8000"])
def test_an_allowed_origin_is_echoed_and_the_paging_headers_exposed(client, origin):
    response = client.get("/books", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert [name.strip() for name in exposed.split(",")] == [
        "Link",
        "X-Total-Count",
        "Location",
    ]
    assert "Origin" in response.vary
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_unknown_and_look_alike_origins_get_no_cors_headers(client, origin):
    response = client.get("/books", headers={"Origin": origin})
    assert response.status_code == 200  # the answer is sent: the browser hides it
    assert cors_headers(response) == {}
    assert "Origin" in response.vary


def test_a_preflight_from_an_allowed_origin_grants_the_method_and_header(client):
    response = preflight(client)
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    methods = response.headers["Access-Control-Allow-Methods"].replace(" ", "")
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= set(methods.split(","))
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in response.vary


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/books/", "POST"),  # a trailing slash: Flask has no such route (404)
        ("/books", "DELETE"),  # a method the route does not have (405)
        ("/no-such-thing", "GET"),  # no route at all (404)
    ],
)
def test_a_preflight_is_never_blocked_by_routing(client, path, method):
    response = preflight(client, path=path, method=method)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_options_without_request_method_is_a_plain_options(client):
    response = client.options("/books", headers={"Origin": ALLOWED})
    assert response.status_code == 200  # Flask's own OPTIONS answer
    assert "GET" in response.headers["Allow"]
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Access-Control-Max-Age" not in response.headers
    # It is still a cross-origin request from an allowed origin:
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_a_preflight_from_an_unknown_origin_gets_no_cors_headers(client, origin):
    response = preflight(client, origin=origin)
    assert cors_headers(response) == {}


def request_with_error(client, status):
    """Make the API answer with an error status, from an allowed origin."""
    headers = {"Origin": ALLOWED}
    if status == 404:
        return client.get("/books/999999", headers=headers)
    if status == 405:
        return client.delete("/books", headers=headers)
    if status == 400:
        return client.get("/books?page=0", headers=headers)
    return client.post("/books", json={"title": ""}, headers=headers)  # 422


@pytest.mark.parametrize("status", [400, 404, 405, 422])
def test_error_answers_carry_cors_headers_so_the_page_can_read_them(client, status):
    response = request_with_error(client, status)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Location" in response.headers["Access-Control-Expose-Headers"]


def test_an_existing_vary_value_is_kept(app, client):
    @app.get("/vary-example")
    def vary_example():
        return "", 200, {"Vary": "Accept-Encoding"}

    response = client.get("/vary-example", headers={"Origin": ALLOWED})
    assert set(response.vary) == {"Accept-Encoding", "Origin"}


def test_cors_origins_setting_replaces_the_default(database):
    app = create_app({**database, "CORS_ORIGINS": "https://shop.example"})
    client = app.test_client()
    ours = client.get("/health", headers={"Origin": "https://shop.example"})
    docs = client.get("/health", headers={"Origin": ALLOWED})
    assert ours.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Origin" not in docs.headers


def test_cors_origins_is_read_from_the_environment(database, monkeypatch):
    # The real app, create_app() with no settings, reads them all from there.
    for name, value in database.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    client = create_app().test_client()
    response = client.get("/health", headers={"Origin": "https://b.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"


def test_credentials_are_allowed_only_when_configured(database):
    settings = {**database, "CORS_ALLOW_CREDENTIALS": True}
    client = create_app(settings).test_client()
    response = client.get("/health", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_credentials_with_a_wildcard_origin_refuse_to_start(database):
    settings = {
        **database,
        "CORS_ORIGINS": "*",
        "CORS_ALLOW_CREDENTIALS": True,
    }
    with pytest.raises(ValueError, match="cannot be used with CORS_ORIGINS='\\*'"):
        create_app(settings)
