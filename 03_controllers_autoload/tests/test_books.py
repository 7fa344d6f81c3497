"""The books controller (controllers/books.py): read-only books as JSON."""

import re

import pytest

from controllers.books import BOOKS

BOOK_FIELDS = {"id", "title", "author", "year", "isbn", "price"}


def test_list_of_books_is_every_book_as_json(client):
    response = client.get("/books")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == BOOKS


def test_every_book_has_the_fields_of_the_books_api(client):
    for book in client.get("/books").get_json():
        assert set(book) == BOOK_FIELDS


def test_price_is_a_decimal_string_never_a_float(client):
    for book in client.get("/books").get_json():
        assert isinstance(book["price"], str)
        assert re.fullmatch(r"\d+\.\d\d", book["price"])


@pytest.mark.parametrize("book", BOOKS, ids=lambda book: f"id {book['id']}")
def test_each_book_is_found_by_its_id(client, book):
    response = client.get(f"/books/{book['id']}")
    assert response.status_code == 200
    assert response.get_json() == book


def test_unknown_id_is_404_naming_the_id(client):
    unknown_id = max(book["id"] for book in BOOKS) + 1
    response = client.get(f"/books/{unknown_id}")
    assert response.status_code == 404
    # abort(404, description=...) puts the description on Flask's error page.
    assert f"There is no book with id {unknown_id}." in response.get_data(as_text=True)


@pytest.mark.parametrize("book_id", ["abc", "-1", "1.5"])
def test_id_that_is_not_a_whole_number_is_404(client, book_id):
    # <int:book_id> matches digits only: these never reach get_book().
    response = client.get(f"/books/{book_id}")
    assert response.status_code == 404
    assert "There is no book" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_books_are_read_only_in_this_step(client, method):
    path = "/books" if method == "POST" else f"/books/{BOOKS[0]['id']}"
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
