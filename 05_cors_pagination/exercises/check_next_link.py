"""Check of exercise 05-next-link: ?after_id= pages carry first and next links.

Run by `lessons practice check` on the learner's workspace, on a real database.
"""

import re

import pytest

from lessons.practice_check import shown


@pytest.fixture
def ids(client):
    """Five books stored through the API; their ids in order."""
    made = []
    for number in range(5):
        response = client.post(
            "/books", json={"title": f"Book {number}", "author": "A"}
        )
        made.append(response.get_json()["id"])
    return made


def links_of(response) -> dict[str, str]:
    """The Link header as {rel: url}."""
    found = re.findall(r'<([^>]*)>;\s*rel="([^"]*)"', response.headers.get("Link", ""))
    return {rel: url for url, rel in found}


def test_next_points_after_the_last_row_of_the_page(client, ids):
    """?after_id=0&per_page=2 has a next link with after_id=<2nd id>&per_page=2."""
    response = client.get("/books?after_id=0&per_page=2")
    following = links_of(response).get("next", "")
    assert f"after_id={ids[1]}" in following, shown(response)
    assert "per_page=2" in following and "page=" not in following.replace(
        "per_page=", ""
    ), shown(response)


def test_links_are_absolute_and_keep_the_filters(client, ids):
    """With author=A the next link is an absolute URL that keeps author=A."""
    response = client.get("/books?after_id=0&per_page=2&author=A")
    following = links_of(response).get("next", "")
    assert following.startswith("http://") and "author=A" in following, shown(response)


def test_first_goes_back_to_the_start(client, ids):
    """Every keyset page has a first link with after_id=0."""
    response = client.get(f"/books?after_id={ids[1]}&per_page=2")
    assert "after_id=0" in links_of(response).get("first", ""), shown(response)


def test_the_last_page_has_no_next(client, ids):
    """The page that reaches the last book has no next link."""
    response = client.get(f"/books?after_id={ids[2]}&per_page=2")
    assert "next" not in links_of(response), shown(response)
