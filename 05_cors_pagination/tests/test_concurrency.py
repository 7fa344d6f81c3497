"""Many requests at once: each has its own connection and its own transaction.

Threads send requests in parallel, each through its own test client, so the
app serves them concurrently, as a threaded server (or several gunicorn
workers) would. Nothing may be lost and no two books may get the same id.
"""

from concurrent.futures import ThreadPoolExecutor

THREADS = 8
CREATES_PER_THREAD = 10


def test_creates_from_many_threads_at_once_lose_nothing(app, all_rows):
    def create_books(thread):
        """One thread's work: create its books, return the ids it was given."""
        client = app.test_client()
        ids = []
        for number in range(CREATES_PER_THREAD):
            body = {"title": f"Thread {thread} book {number}", "author": "Many"}
            response = client.post("/books", json=body)
            assert response.status_code == 201, response.get_json()
            ids.append(response.get_json()["id"])
        return ids

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(create_books, range(THREADS)))

    given_ids = [book_id for ids in results for book_id in ids]
    rows = all_rows()
    assert len(rows) == THREADS * CREATES_PER_THREAD
    assert sorted(given_ids) == [row["id"] for row in rows]  # unique, all stored
    expected = {
        f"Thread {thread} book {number}"
        for thread in range(THREADS)
        for number in range(CREATES_PER_THREAD)
    }
    assert {row["title"] for row in rows} == expected


def test_patches_of_different_fields_at_once_keep_every_change(app, add_book, query):
    # Each PATCH reads the row, changes one field and writes all fields back.
    # SELECT ... FOR UPDATE makes them take turns; without it, one PATCH could
    # write back a value that another had just changed.
    for round_number in range(5):
        book_id = add_book(isbn=None, title="Before")["id"]
        changes = [
            {"title": f"Title {round_number}"},
            {"author": f"Author {round_number}"},
            {"year": 1900 + round_number},
            {"isbn": "9780132350884"},
            {"price": f"{round_number}.99"},
        ]

        def patch(change, book_id=book_id):
            """Send one PATCH from a client of this thread's own."""
            response = app.test_client().patch(f"/books/{book_id}", json=change)
            assert response.status_code == 200, response.get_json()

        with ThreadPoolExecutor(max_workers=len(changes)) as pool:
            list(pool.map(patch, changes))

        [row] = query("SELECT * FROM books WHERE id = %s", (book_id,))
        for change in changes:
            for field, value in change.items():
                assert str(row[field]) == str(value)
        query("DELETE FROM books WHERE id = %s", (book_id,))  # free the isbn
