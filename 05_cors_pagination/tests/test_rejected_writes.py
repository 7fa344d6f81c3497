"""A rejected write changes nothing: the table is the same before and after.

Each case below is a request the API must refuse. The test stores two books,
takes a snapshot of every row straight from MySQL, sends the bad request, and
compares. A 4xx that had already written half a book would fail here.
"""

import pytest

GOOD = {"title": "Dune", "author": "Frank Herbert", "year": 1965}

BAD_REQUESTS = [
    # method, target ("new" is POST /books; "first" or "missing" a book's URL),
    # the test client's options for the body, and an id that says what is wrong
    ("POST", "new", {"data": "{broken", "content_type": "application/json"}, "400"),
    ("POST", "new", {"json": ["not", "an", "object"]}, "400 array"),
    ("POST", "new", {"data": "title=Dune", "content_type": "text/plain"}, "415"),
    ("POST", "new", {"json": {**GOOD, "title": "x" * 70_000}}, "413"),
    ("POST", "new", {"json": {**GOOD, "price": 9.99}}, "422 float price"),
    ("POST", "new", {"json": {**GOOD, "isbn": "9780441013593", "year": "1965"}}, "422"),
    ("POST", "new", {"json": {**GOOD, "id": 1}}, "422 id"),
    ("POST", "new", {"json": {**GOOD, "isbn": "9780132350884"}}, "409"),
    ("PUT", "first", {"json": {"title": "Only a title"}}, "422 no author"),
    ("PUT", "first", {"json": {**GOOD, "price": "-5"}}, "422 negative"),
    ("PUT", "first", {"json": {**GOOD, "isbn": "9780132350884"}}, "409"),
    ("PUT", "first", {"data": "[", "content_type": "application/json"}, "400"),
    ("PUT", "missing", {"json": GOOD}, "404"),
    ("PATCH", "first", {"json": {"price": "1.005"}}, "422 3 decimals"),
    ("PATCH", "first", {"json": {"title": "New", "year": 99999}}, "422 year"),
    ("PATCH", "first", {"json": {"isbn": "978-0-13-235088-4"}}, "409"),
    ("PATCH", "first", {"json": {"created_at": "2000-01-01"}}, "422 created_at"),
    ("PATCH", "first", {"data": '"text"', "content_type": "application/json"}, "400"),
    ("PATCH", "missing", {"json": {"title": "Nobody"}}, "404"),
    ("DELETE", "missing", {}, "404"),
    ("DELETE", "/books", {}, "405"),
]


@pytest.mark.parametrize(
    ("method", "target", "options", "status"),
    [
        # The id starts with the status the API must answer: "422 float price".
        pytest.param(*case[:3], int(case[3][:3]), id=f"{case[0]} {case[1]} {case[3]}")
        for case in BAD_REQUESTS
    ],
)
def test_a_rejected_write_leaves_every_row_unchanged(
    client, add_book, all_rows, method, target, options, status
):
    first = add_book(isbn="9781492056355")
    add_book(isbn="9780132350884", title="Clean Code", author="Robert C. Martin")
    paths = {"new": "/books", "first": f"/books/{first['id']}", "missing": "/books/9"}
    before = all_rows()

    response = client.open(paths.get(target, target), method=method, **options)

    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert all_rows() == before
