"""Check of exercise 04-create: POST /books stores a book; 201, Location, 409.

Run by `lessons practice check` on the learner's workspace, on a real database.
"""

from lessons.practice_check import shown

BOOK = {
    "title": "Fluent Python",
    "author": "Luciano Ramalho",
    "year": 2022,
    "isbn": "978-1-4920-5635-5",
    "price": "65.99",
}


def test_post_answers_201_with_the_stored_book(client):
    """POST /books answers 201 with the stored book, its id and its price as "65.99"."""
    response = client.post("/books", json=BOOK)
    assert response.status_code == 201, shown(response)
    body = response.get_json()
    assert isinstance(body.get("id"), int) and body["price"] == "65.99", shown(response)


def test_location_points_at_the_new_book(client):
    """The 201 has Location: /books/<id>, and GET there answers the same book."""
    response = client.post("/books", json=BOOK)
    location = response.headers.get("Location", "")
    assert location.endswith(f"/books/{response.get_json()['id']}"), shown(response)
    again = client.get(location)
    assert again.status_code == 200, shown(again)
    assert again.get_json()["title"] == BOOK["title"], shown(again)


def test_the_row_is_in_the_table(client, query):
    """The book is really stored (committed) in the books table."""
    response = client.post("/books", json=BOOK)
    rows = query("SELECT title FROM books")
    assert rows == [{"title": BOOK["title"]}], (
        f"{shown(response)}\n       table: {rows}"
    )


def test_a_duplicate_isbn_is_409_and_stores_nothing(client, query):
    """A second POST with the same isbn is 409 Conflict; the table keeps one row."""
    client.post("/books", json=BOOK)
    response = client.post("/books", json={**BOOK, "title": "A copy"})
    assert response.status_code == 409, shown(response)
    count = query("SELECT COUNT(*) AS n FROM books")[0]["n"]
    assert count == 1, f"{shown(response)}\n       the table has {count} rows"


def test_invalid_fields_are_422(client):
    """POST /books without an author answers 422 (validate_book says so)."""
    response = client.post("/books", json={"title": "No author"})
    assert response.status_code == 422, shown(response)
