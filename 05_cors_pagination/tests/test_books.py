"""Create, read, update and delete books: the happy paths, on a real database."""

import re

import pytest

ISO_8601_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_a_new_database_lists_no_books(client):
    response = client.get("/books")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json()["items"] == []
    assert response.get_json()["total"] == 0


def test_create_answers_201_with_location_and_the_stored_book(client, book, query):
    response = client.post("/books", json=book)

    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == f"/books/{created['id']}"
    [row] = query("SELECT * FROM books")
    assert created["id"] == row["id"]
    assert created["title"] == row["title"] == "Fluent Python"
    assert created["isbn"] == row["isbn"] == "9781492056355"  # stored without hyphens
    assert created["price"] == str(row["price"]) == "65.99"
    assert ISO_8601_UTC.match(created["created_at"])
    assert ISO_8601_UTC.match(created["updated_at"])


def test_the_location_of_a_new_book_serves_that_book(client, book):
    created = client.post("/books", json=book)
    response = client.get(created.headers["Location"])
    assert response.status_code == 200
    assert response.get_json() == created.get_json()


def test_list_returns_every_book_ordered_by_id(client, add_book):
    ids = [add_book(title=f"Book {n}", isbn=None)["id"] for n in range(3)]
    books = client.get("/books").get_json()["items"]
    assert [each["id"] for each in books] == sorted(ids)
    assert [each["title"] for each in books] == ["Book 0", "Book 1", "Book 2"]


def test_a_book_has_exactly_the_fields_of_the_contract(add_book):
    fields = ["id", "title", "author", "year", "isbn", "price"]
    assert list(add_book()) == [*fields, "created_at", "updated_at"]


def test_optional_fields_may_be_left_out_and_become_null(client):
    response = client.post("/books", json={"title": "Untitled", "author": "Anon"})
    assert response.status_code == 201
    created = response.get_json()
    assert (created["year"], created["isbn"], created["price"]) == (None, None, None)


def test_text_is_stored_trimmed(client, query):
    client.post("/books", json={"title": "  Dune \n", "author": "\tFrank Herbert"})
    [row] = query("SELECT title, author FROM books")
    assert row == {"title": "Dune", "author": "Frank Herbert"}


def test_put_replaces_the_whole_book_and_missing_optionals_become_null(
    client, add_book
):
    created = add_book()
    response = client.put(
        f"/books/{created['id']}", json={"title": "Fluent Python", "author": "L. R."}
    )
    assert response.status_code == 200
    replaced = response.get_json()
    assert replaced["author"] == "L. R."
    assert (replaced["year"], replaced["isbn"], replaced["price"]) == (None,) * 3
    assert replaced["id"] == created["id"]
    assert replaced["created_at"] == created["created_at"]


def test_patch_changes_only_the_fields_sent(client, add_book):
    created = add_book()
    response = client.patch(f"/books/{created['id']}", json={"price": "19.90"})
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["price"] == "19.90"
    for field in ("title", "author", "year", "isbn", "created_at"):
        assert patched[field] == created[field]


def test_patch_with_no_fields_changes_nothing(client, add_book, all_rows):
    created = add_book()
    before = all_rows()
    response = client.patch(f"/books/{created['id']}", json={})
    assert response.status_code == 200
    assert response.get_json() == created
    assert all_rows() == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_moves_updated_at_and_keeps_created_at(
    client, add_book, query, method
):
    book_id = add_book()["id"]
    # Date the row back to 2001 directly in SQL (setting updated_at by hand
    # overrides ON UPDATE), so the test needs no sleeping to see a change.
    query(
        "UPDATE books SET created_at = %s, updated_at = %s WHERE id = %s",
        ("2001-01-01 00:00:00", "2001-01-01 00:00:00", book_id),
    )
    body = {"title": "Fluent Python, 2nd edition", "author": "Luciano Ramalho"}
    updated = client.open(f"/books/{book_id}", method=method, json=body).get_json()
    assert updated["created_at"] == "2001-01-01T00:00:00Z"
    assert updated["updated_at"] > "2001-01-01T00:00:00Z"


def test_delete_answers_204_with_an_empty_body_and_the_book_is_gone(
    client, add_book, all_rows
):
    book_id = add_book()["id"]
    response = client.delete(f"/books/{book_id}")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert all_rows() == []
    assert client.get(f"/books/{book_id}").status_code == 404


def test_deleting_one_book_leaves_the_others(client, add_book, all_rows):
    first = add_book(isbn=None)
    second = add_book(isbn=None, title="Another")
    client.delete(f"/books/{first['id']}")
    assert [row["id"] for row in all_rows()] == [second["id"]]
