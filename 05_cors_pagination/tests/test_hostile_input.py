"""Input a hostile client sends on purpose: each is refused, and nothing changes.

Ids in other scripts' digits, the same book under its ISBN-10 and its ISBN-13,
a lowercase method name: each once slipped through. Here they go through the
whole app (routing, error handlers) with Flask's test client, or as the raw
WSGI call a server makes when the test client cannot say it.
"""

from urllib.parse import quote

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

# Digits of other scripts that Python's int() (and Werkzeug's <int:...>) accept.
OTHER_DIGITS = {
    "fullwidth": "\uff10",  # "０"
    "arabic-indic": "\u0660",  # "٠"
    "devanagari": "\u0966",  # "०"
}


def in_other_digits(number: int, zero: str) -> str:
    """The number written with another script's digits, e.g. 47 -> "４７"."""
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


@pytest.mark.parametrize("zero", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_id_in_another_scripts_digits_is_404_and_changes_nothing(
    client, add_book, all_rows, zero, method
):
    book = add_book()
    before = all_rows()
    path = "/books/" + quote(in_other_digits(book["id"], zero))
    response = client.open(path, method=method, json={"title": "X", "author": "Y"})
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert all_rows() == before
    assert client.get(f"/books/{book['id']}").status_code == 200  # ASCII still works


def test_an_id_longer_than_any_bigint_is_404_not_500(client):
    response = client.get("/books/" + "9" * 5000)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_an_isbn_10_is_stored_as_its_isbn_13(client, book):
    response = client.post("/books", json={**book, "isbn": "0-13-235088-2"})
    assert response.status_code == 201
    assert response.get_json()["isbn"] == "9780132350884"


def test_an_isbn_10_ending_in_x_is_stored_as_its_isbn_13(client, book):
    # 080442957X is "Bad Science" (Ben Goldacre); its ISBN-13 is 9780804429573.
    response = client.post("/books", json={**book, "isbn": "080442957X"})
    assert response.status_code == 201
    assert response.get_json()["isbn"] == "9780804429573"


@pytest.mark.parametrize(
    ("first", "second"),
    [("9780132350884", "0132350882"), ("0132350882", "978-0-13-235088-4")],
)
def test_the_same_book_as_isbn_10_and_isbn_13_is_a_duplicate(
    client, book, all_rows, first, second
):
    assert client.post("/books", json={**book, "isbn": first}).status_code == 201
    before = all_rows()
    response = client.post("/books", json={**book, "title": "Again", "isbn": second})
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert all_rows() == before


def call_with_method(app, method: str, path: str):
    """Call the app as a WSGI server does, with REQUEST_METHOD exactly `method`.

    Flask's test client upper-cases the method before the app sees it; a real
    server (the development server included) passes on what the client sent.
    """
    environ = EnvironBuilder(path=path).get_environ()
    environ["REQUEST_METHOD"] = method
    body, status, headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), headers, b"".join(body)


@pytest.mark.parametrize("method", ["get", "Get", "delete"])
def test_a_method_name_in_lowercase_is_400_and_changes_nothing(
    app, add_book, all_rows, method
):
    book = add_book()
    before = all_rows()
    status, headers, body = call_with_method(app, method, f"/books/{book['id']}")
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert b"case-sensitive" in body
    assert all_rows() == before


def test_the_same_request_in_uppercase_is_served(app, add_book):
    book = add_book()
    status, _, _ = call_with_method(app, "GET", f"/books/{book['id']}")
    assert status == 200
