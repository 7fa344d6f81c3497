"""Check of exercise 04-delete: DELETE /books/<id> answers 204 or 404.

Run by `lessons practice check` on the learner's workspace, on a real database.
"""

from lessons.practice_check import shown

BOOK = {"title": "Fluent Python", "author": "Luciano Ramalho", "year": 2022}


def test_delete_answers_204_with_an_empty_body(client):
    """DELETE /books/<id> of a book answers 204 No Content, with no body."""
    book_id = client.post("/books", json=BOOK).get_json()["id"]
    response = client.delete(f"/books/{book_id}")
    assert response.status_code == 204, shown(response)
    assert response.get_data() == b"", shown(response)
    assert "Content-Type" not in response.headers, shown(response)


def test_the_row_is_gone_from_the_table(client, query):
    """After the DELETE the row is gone from the books table (committed)."""
    book_id = client.post("/books", json=BOOK).get_json()["id"]
    response = client.delete(f"/books/{book_id}")
    rows = query("SELECT id FROM books WHERE id = %s", (book_id,))
    assert rows == [], f"{shown(response)}\n       but the table still has {rows}"


def test_an_unknown_id_is_404(client):
    """DELETE /books/999 (no such book) answers 404 with a problem+json body."""
    response = client.delete("/books/999")
    assert response.status_code == 404, shown(response)
    assert response.mimetype == "application/problem+json", shown(response)


def test_other_books_stay(client, query):
    """Deleting one book leaves the others in the table."""
    first = client.post("/books", json=BOOK).get_json()["id"]
    second = client.post("/books", json={**BOOK, "title": "Second"}).get_json()["id"]
    response = client.delete(f"/books/{first}")
    rows = query("SELECT id FROM books")
    assert rows == [{"id": second}], f"{shown(response)}\n       table now: {rows}"
