"""Every error is an RFC 9457 problem: the right status, and a body that says why."""

import io
import json
import logging

import pytest

from app import create_app

PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def assert_problem(response, status, title):
    """The response is application/problem+json with the RFC 9457 members."""
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    problem = response.get_json()  # Flask reads any "+json" type as JSON
    extensions = {"errors"} if status == 422 else set()  # 422 lists the fields
    assert set(problem) == PROBLEM_FIELDS | extensions
    assert problem["status"] == status
    assert problem["title"] == title
    assert problem["detail"]
    return problem


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "Dune",',  # cut off
        b"{'title': 'Dune'}",  # Python, not JSON
        b"",
        b'{"title": "\xff\xfe"}',  # not UTF-8
        b'{"year": NaN}',  # Python's json accepts NaN; JSON has no NaN
        b"[" * 30_000 + b"]" * 30_000,  # deeper than Python can parse
    ],
    ids=["cut off", "single quotes", "empty", "not utf-8", "NaN", "deep nesting"],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_malformed_json_is_400(client, add_book, method, body):
    path = "/books" if method == "POST" else f"/books/{add_book()['id']}"
    response = client.open(
        path, method=method, data=body, content_type="application/json"
    )
    problem = assert_problem(response, 400, "Bad Request")
    assert problem["type"] == "about:blank"
    assert "not valid JSON" in problem["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "half an emoji \\ud83d", "author": "A"}',
        b'{"\\udc00": "a field whose name is half an emoji"}',
    ],
    ids=["in a value", "in a key"],
)
def test_json_text_that_is_not_valid_unicode_is_400(client, body):
    response = client.post("/books", data=body, content_type="application/json")
    problem = assert_problem(response, 400, "Bad Request")
    assert "not valid Unicode" in problem["detail"]


@pytest.mark.parametrize("body", ["[]", '"Dune"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_400(client, body):
    response = client.post("/books", data=body, content_type="application/json")
    problem = assert_problem(response, 400, "Bad Request")
    assert "JSON object" in problem["detail"]


@pytest.mark.parametrize(
    "path",
    ["/books/999999", "/books/0", f"/books/{2**63 - 1}"],
    ids=["unknown id", "zero", "largest id"],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_unknown_book_is_404(client, book, method, path):
    response = client.open(path, method=method, json=book)
    problem = assert_problem(response, 404, "Not Found")
    assert problem["detail"].startswith("There is no book with id")


# An id longer than the largest BIGINT (19 digits) is not a URL we have.
@pytest.mark.parametrize(
    "path", ["/nope", "/books/abc", "/books/-1", "/books/1/x", f"/books/{10**30}"]
)
def test_unknown_url_is_404(client, path):
    assert_problem(client.get(path), 404, "Not Found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/books", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("PUT", "/books", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("POST", "/books/1", {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
        ("POST", "/health", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_wrong_method_is_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method, json={})
    assert_problem(response, 405, "Method Not Allowed")
    # RFC 9110, section 15.5.6: a 405 must say which methods the resource allows.
    assert {each.strip() for each in response.headers["Allow"].split(",")} == allowed


def test_duplicate_isbn_is_409_and_leaves_one_row(client, book, all_rows):
    client.post("/books", json=book)
    before = all_rows()
    response = client.post("/books", json={**book, "title": "A copy"})
    problem = assert_problem(response, 409, "Conflict")
    assert "9781492056355" in problem["detail"]
    assert all_rows() == before


@pytest.mark.parametrize(
    "isbn", ["9781492056355", "978 1 4920 5635 5", "978-1492056355"]
)
def test_the_same_isbn_written_differently_is_still_a_duplicate(client, book, isbn):
    client.post("/books", json=book)
    response = client.post("/books", json={**book, "isbn": isbn})
    assert response.status_code == 409


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_updating_to_another_books_isbn_is_409_and_changes_nothing(
    client, add_book, all_rows, method
):
    add_book(isbn="9780132350884")
    second = add_book(isbn="9781492056355", title="Second")
    before = all_rows()
    body = {"title": "Second", "author": "Someone", "isbn": "9780132350884"}
    response = client.open(f"/books/{second['id']}", method=method, json=body)
    assert_problem(response, 409, "Conflict")
    assert all_rows() == before


def test_many_books_may_have_no_isbn(client, add_book, all_rows):
    for number in range(3):
        add_book(isbn=None, title=f"Pamphlet {number}")
    assert len(all_rows()) == 3


def test_a_body_over_64_kib_is_413(client, book):
    big = {**book, "title": "x" * (64 * 1024)}
    response = client.post("/books", json=big)
    problem = assert_problem(response, 413, "Request Entity Too Large")
    assert problem["detail"] == "The body is over 64 KiB."


def test_a_chunked_body_over_64_kib_is_413_and_saves_nothing(client, book, all_rows):
    # Chunked: no Content-Length up front, so the size is only known by reading.
    # Valid JSON padded with spaces, so only its size is wrong.
    data = json.dumps(book).encode() + b" " * (70 * 1024)
    response = client.post(
        "/books",
        input_stream=io.BytesIO(data),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What gunicorn and `flask run` say of a chunked body they de-chunk:
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413, "Request Entity Too Large")
    assert all_rows() == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"title": "Dune", "author": "Frank Herbert"}', None),
        ('{"title": "Dune", "author": "Frank Herbert"}', "text/plain"),
        ("title=Dune&author=Frank+Herbert", "application/x-www-form-urlencoded"),
    ],
    ids=["no content type", "text/plain", "form"],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_that_is_not_declared_json_is_415(
    client, add_book, method, data, content_type
):
    path = "/books" if method == "POST" else f"/books/{add_book()['id']}"
    response = client.open(path, method=method, data=data, content_type=content_type)
    problem = assert_problem(response, 415, "Unsupported Media Type")
    assert "application/json" in problem["detail"]


def test_invalid_fields_are_422_listing_each_one(client):
    body = {"title": "", "author": 7, "year": "1999", "isbn": "12", "price": 9.99}
    response = client.post("/books", json=body)
    problem = assert_problem(response, 422, "Invalid fields")
    assert problem["type"] == "https://wsgi-to-flask.example/problems/invalid-fields"
    fields = [error["field"] for error in problem["errors"]]
    assert fields == ["title", "author", "year", "isbn", "price"]
    assert all(error["message"] for error in problem["errors"])


@pytest.fixture
def crashing_app(database):
    """An app with a route that has a bug, run as in production: no propagation."""
    # TESTING normally lets exceptions reach the test; production answers 500.
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, **database})

    @app.get("/crash")
    def crash():
        """A route with a bug, as every project has one day."""
        raise RuntimeError("a secret the client must never see")

    return app


def test_a_bug_is_a_generic_500_problem_and_the_traceback_goes_to_the_log(
    crashing_app, caplog
):
    with caplog.at_level(logging.ERROR):
        response = crashing_app.test_client().get("/crash")
    problem = assert_problem(response, 500, "Internal Server Error")
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "a secret", "crash"):
        assert leak not in body
    assert "a secret the client must never see" in caplog.text
    assert "Traceback" in caplog.text
    assert problem["type"] == "about:blank"
