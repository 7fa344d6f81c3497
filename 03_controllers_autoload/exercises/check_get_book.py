"""Check of exercise 03-get-book: one book by its id, or a 404 that says why.

Run by `lessons practice check` on the learner's workspace (practice/03-get-book/).
"""

import pytest

from lessons.practice_check import shown


@pytest.fixture
def client(learner):
    """Flask's test client on a new app from the workspace's factory."""
    return learner("app").create_app({"TESTING": True}).test_client()


def test_answers_the_book_with_that_id(client):
    """GET /books/2 answers 200 with the JSON of the book whose id is 2."""
    response = client.get("/books/2")
    assert response.status_code == 200, shown(response)
    body = response.get_json(silent=True) or {}
    assert body.get("id") == 2 and body.get("title") == "Flask Web Development", shown(
        response
    )


def test_an_unknown_id_is_404_and_says_so(client):
    """GET /books/99 answers 404, and the page says "There is no book with id 99."."""
    response = client.get("/books/99")
    assert response.status_code == 404, shown(response)
    assert "There is no book with id 99." in response.get_data(as_text=True), shown(
        response
    )
