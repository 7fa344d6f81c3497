"""The field rules: what is refused (422, naming the field) and what is accepted."""

from datetime import date

import pytest

NEXT_YEAR = date.today().year + 1


def field_errors(response):
    """{field: message} from a 422 problem."""
    assert response.status_code == 422, response.get_json()
    return {error["field"]: error["message"] for error in response.get_json()["errors"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", None, "is required"),
        ("title", "", "must not be empty"),
        ("title", "   ", "must not be empty"),
        ("title", 42, "must be a string"),
        ("title", ["Dune"], "must be a string"),
        ("title", "x" * 201, "must be at most 200 characters"),
        ("author", None, "is required"),
        ("author", {"name": "Frank"}, "must be a string"),
        ("year", "1999", "must be a whole number like 1999, or null"),
        ("year", 1999.0, "must be a whole number like 1999, or null"),
        ("year", True, "must be a whole number like 1999, or null"),
        ("year", -3001, f"must be between -3000 and {NEXT_YEAR}"),
        ("year", NEXT_YEAR + 1, f"must be between -3000 and {NEXT_YEAR}"),
        ("year", 10**30, f"must be between -3000 and {NEXT_YEAR}"),
        ("isbn", 9781492056355, "must be a string"),
        ("isbn", "", "must be an ISBN-10 or ISBN-13"),
        ("isbn", "978149205635", "must be an ISBN-10 or ISBN-13"),
        ("isbn", "97814920563555", "must be an ISBN-10 or ISBN-13"),
        ("isbn", "978-1-4920-5635-X", "must be an ISBN-10 or ISBN-13"),
        ("isbn", "9781492056356", "has a wrong check digit"),
        ("isbn", "0-596-00712-5", "has a wrong check digit"),
        ("isbn", "٩٧٨١٤٩٢٠٥٦٣٥٥", "must be an ISBN-10 or ISBN-13"),  # Arabic digits
        ("price", 12.5, "not a JSON number"),
        ("price", 12, "not a JSON number"),
        ("price", True, 'must be a string like "12.50", or null'),
        ("price", "-1.00", "with at most 2 decimals"),
        ("price", "12.505", "with at most 2 decimals"),
        ("price", "12,50", "with at most 2 decimals"),
        ("price", "1e3", "with at most 2 decimals"),
        ("price", " 12.50", "with at most 2 decimals"),
        ("price", "NaN", "with at most 2 decimals"),
        ("price", "١٢.٥٠", "with at most 2 decimals"),  # Arabic-Indic digits
        ("price", "", "with at most 2 decimals"),
        ("price", "1000000.00", "must be at most 999999.99"),
        ("id", 1, "is set by the server"),
        ("created_at", "2020-01-01T00:00:00Z", "is set by the server"),
        ("updated_at", None, "is set by the server"),
        ("colour", "red", "is not a field of a book"),
    ],
)
def test_an_invalid_field_is_422_naming_it(client, book, field, value, message):
    errors = field_errors(client.post("/books", json={**book, field: value}))
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize("missing", ["title", "author"])
def test_a_missing_required_field_is_422(client, book, missing):
    del book[missing]
    assert field_errors(client.post("/books", json=book)) == {missing: "is required"}


def test_all_invalid_fields_are_listed_at_once(client):
    body = {"year": "old", "isbn": "x", "price": 1, "shelf": 3, "id": 9}
    errors = field_errors(client.post("/books", json=body))
    assert set(errors) == {"shelf", "id", "title", "author", "year", "isbn", "price"}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_updates_follow_the_same_rules(client, add_book, method):
    book_id = add_book()["id"]
    body = {"title": "", "author": "A", "price": 3.5}
    errors = field_errors(client.open(f"/books/{book_id}", method=method, json=body))
    assert set(errors) == {"title", "price"}


def test_put_needs_every_required_field_but_patch_does_not(client, add_book):
    book_id = add_book()["id"]
    errors = field_errors(client.put(f"/books/{book_id}", json={"year": 2000}))
    assert errors == {"title": "is required", "author": "is required"}
    assert client.patch(f"/books/{book_id}", json={"year": 2000}).status_code == 200


def test_patch_cannot_set_a_required_field_to_null(client, add_book):
    book_id = add_book()["id"]
    errors = field_errors(client.patch(f"/books/{book_id}", json={"title": None}))
    assert errors == {"title": "is required"}


@pytest.mark.parametrize(
    ("isbn", "stored"),
    [
        ("9781492056355", "9781492056355"),
        ("978-1-4920-5635-5", "9781492056355"),
        ("978 1 4920 5635 5", "9781492056355"),
        ("0-596-00712-4", "9780596007126"),  # ISBN-10, stored as its ISBN-13
        ("0-8044-2957-x", "9780804429573"),  # ISBN-10 whose check "digit" is X
        (None, None),
    ],
)
def test_an_isbn_is_accepted_in_its_usual_spellings_and_stored_as_digits(
    client, book, query, isbn, stored
):
    response = client.post("/books", json={**book, "isbn": isbn})
    assert response.status_code == 201
    assert response.get_json()["isbn"] == stored
    assert query("SELECT isbn FROM books") == [{"isbn": stored}]


@pytest.mark.parametrize("year", [-3000, -300, 0, 1843, NEXT_YEAR, None])
def test_years_in_range_are_accepted(client, book, year):
    response = client.post("/books", json={**book, "year": year})
    assert response.status_code == 201
    assert response.get_json()["year"] == year


def test_a_title_of_exactly_200_characters_is_accepted(client, book):
    title = "é" * 200  # characters, not bytes: this is 400 bytes of UTF-8
    response = client.post("/books", json={**book, "title": title})
    assert response.status_code == 201
    assert response.get_json()["title"] == title
