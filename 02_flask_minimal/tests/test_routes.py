"""Every route of step 02, through Flask's test client."""

import pytest


@pytest.mark.parametrize(
    ("path", "content_type", "expected_text"),
    [
        ("/", "text/html; charset=utf-8", "<h1>Hello from Flask</h1>"),
        ("/hello/Ada", "text/html; charset=utf-8", "<p>Hello, Ada!</p>"),
        ("/api/status", "application/json", '"02_flask_minimal"'),
    ],
)
def test_each_route_answers_200_with_its_content_type(
    client, path, content_type, expected_text
):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == content_type
    assert expected_text in response.get_data(as_text=True)


def test_api_status_is_json_naming_the_step(client):
    response = client.get("/api/status")
    assert response.get_json() == {"status": "ok", "step": "02_flask_minimal"}


def test_hello_escapes_html_in_the_name(client):
    response = client.get("/hello/<script>")
    body = response.get_data(as_text=True)
    assert "&lt;script&gt;" in body
    assert "<script>" not in body


@pytest.mark.parametrize("path", ["/nope", "/hello", "/api"])
def test_unknown_path_is_flasks_own_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    # Step 02 keeps Flask's own error pages (HTML); step 04, where the JSON API
    # starts, answers its errors as JSON problem details instead.
    assert response.content_type == "text/html; charset=utf-8"
    assert "<h1>Not Found</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/hello/Ada", "/api/status"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_wrong_method_is_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    # RFC 9110, section 15.5.6: a 405 must say which methods the resource allows.
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert method not in allowed
