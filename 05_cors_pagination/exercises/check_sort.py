"""Check of exercise 05-sort: sort= through the allowlist, 400 for other names.

Run by `lessons practice check` on the learner's workspace, on a real database.
"""

import pytest

from lessons.practice_check import shown

BOOKS = [
    {"title": "B", "author": "Ann", "year": 2001, "price": "30.00"},
    {"title": "A", "author": "Bob", "year": 1999, "price": "10.00"},
    {"title": "C", "author": "Cid", "year": 2001, "price": "20.00"},
]


@pytest.fixture
def stored(client):
    """Three books, stored through the API in the order above."""
    for book in BOOKS:
        assert client.post("/books", json=book).status_code == 201


def titles(response):
    return [item["title"] for item in (response.get_json() or {}).get("items", [])]


def test_sort_by_title(client, stored):
    """?sort=title lists A, B, C."""
    response = client.get("/books?sort=title")
    assert titles(response) == ["A", "B", "C"], shown(response)


def test_sort_descending_with_a_minus(client, stored):
    """?sort=-price lists the dearest first: B (30.00), C, A."""
    response = client.get("/books?sort=-price")
    assert titles(response) == ["B", "C", "A"], shown(response)


def test_ties_are_broken_by_id(client, stored):
    """?sort=year lists A (1999), then B and C (both 2001) in id order."""
    response = client.get("/books?sort=year")
    assert titles(response) == ["A", "B", "C"], shown(response)


def test_no_sort_is_id_order(client, stored):
    """GET /books with no sort lists the books in the order they were added."""
    response = client.get("/books")
    assert titles(response) == ["B", "A", "C"], shown(response)


@pytest.mark.parametrize("sort", ["isbn_x", "title;DROP TABLE books", "-"])
def test_other_names_are_400_and_the_table_stays(client, stored, query, sort):
    """?sort= with a name outside the allowlist answers 400; the table is intact."""
    response = client.get("/books", query_string={"sort": sort})
    count = query("SELECT COUNT(*) AS n FROM books")[0]["n"]
    assert response.status_code == 400, shown(response)
    assert count == 3, f"{shown(response)}\n       the table has {count} rows"
