"""Check of exercise 04-injection: PATCH stores any title verbatim, touching one row.

Run by `lessons practice check` on the learner's workspace, on a real database.
"""

from lessons.practice_check import shown

BOOK = {"title": "Fluent Python", "author": "Luciano Ramalho", "isbn": "9781492056355"}
INJECTION = "x' WHERE 1=1 -- "


def test_an_injection_string_is_stored_verbatim_in_one_row(client, query):
    """PATCH title  x' WHERE 1=1 --  stores exactly that title, in that book only."""
    first = client.post("/books", json=BOOK).get_json()["id"]
    client.post("/books", json={"title": "Other", "author": "Someone"})
    response = client.patch(f"/books/{first}", json={"title": INJECTION})
    titles = [row["title"] for row in query("SELECT title FROM books ORDER BY id")]
    assert titles == [INJECTION.strip(), "Other"] or titles == [INJECTION, "Other"], (
        f"{shown(response)}\n       titles in the table now: {titles}"
    )


def test_a_quote_in_a_title_is_just_a_letter(client):
    """PATCH title "O'Reilly's Guide" answers 200 with that exact title."""
    book_id = client.post("/books", json=BOOK).get_json()["id"]
    response = client.patch(f"/books/{book_id}", json={"title": "O'Reilly's Guide"})
    assert response.status_code == 200, shown(response)
    assert response.get_json()["title"] == "O'Reilly's Guide", shown(response)


def test_every_field_is_saved(client):
    """PATCH year and price saves them too (not only title and author)."""
    book_id = client.post("/books", json=BOOK).get_json()["id"]
    response = client.patch(f"/books/{book_id}", json={"year": 2022, "price": "9.50"})
    body = response.get_json() or {}
    assert body.get("year") == 2022 and body.get("price") == "9.50", shown(response)


def test_a_duplicate_isbn_is_409(client):
    """PATCH to another book's isbn answers 409 Conflict."""
    client.post("/books", json=BOOK)
    other = client.post("/books", json={"title": "Other", "author": "Someone"})
    response = client.patch(
        f"/books/{other.get_json()['id']}", json={"isbn": BOOK["isbn"]}
    )
    assert response.status_code == 409, shown(response)
