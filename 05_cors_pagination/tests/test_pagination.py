"""Pagination, sorting and filtering of GET /books, against the real database."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

SORTS = ["id", "-id", "title", "-title", "author", "-author", "year", "-year"]
SORTS += ["price", "-price", "created_at", "-created_at"]


def parse_link(header: str) -> dict[str, str]:
    """RFC 8288 Link header -> {"next": url, ...}."""
    return dict(
        (relation, url)
        for url, relation in re.findall(r'<([^>]*)>\s*;\s*rel="([^"]+)"', header)
    )


def path_of(url: str) -> str:
    """The path and query of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def walk(client, url: str) -> list[dict]:
    """Follow rel="next" links from `url` to the end; return every item seen."""
    items, seen_urls = [], set()
    while url:
        assert url not in seen_urls, "the next links went round in a circle"
        seen_urls.add(url)
        response = client.get(path_of(url) if "://" in url else url)
        assert response.status_code == 200
        items += response.get_json()["items"]
        url = parse_link(response.headers["Link"]).get("next")
    return items


def test_the_defaults_are_page_1_with_20_items(client, add_books):
    add_books(25)
    response = client.get("/books")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (
        1,
        20,
        25,
        2,
    )
    assert len(body["items"]) == 20
    assert response.headers["X-Total-Count"] == "25"


@pytest.mark.parametrize(
    ("total", "per_page"), [(0, 5), (1, 5), (4, 5), (5, 5), (6, 5), (10, 5), (11, 5)]
)
def test_every_page_boundary(client, add_books, total, per_page):
    ids = add_books(total)
    pages = -(-total // per_page)  # ceiling division
    collected = []
    for page in range(1, pages + 2):  # one page past the end too
        body = client.get(f"/books?page={page}&per_page={per_page}").get_json()
        assert body["pages"] == pages
        assert body["total"] == total
        expected_count = min(per_page, total - (page - 1) * per_page)
        assert len(body["items"]) == max(expected_count, 0)
        collected += [item["id"] for item in body["items"]]
    assert collected == ids


def test_per_page_above_100_is_clamped_and_the_body_says_so(client, add_books):
    add_books(120)
    body = client.get("/books?per_page=500").get_json()
    assert body["per_page"] == 100
    assert len(body["items"]) == 100
    assert "per_page=500" in body["notice"]


def test_per_page_within_the_limit_has_no_notice(client, add_books):
    add_books(3)
    assert "notice" not in client.get("/books?per_page=100").get_json()


@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "1e3", "", " 2", "+2"])
def test_bad_page_numbers_are_400_problems(client, name, value):
    response = client.get("/books", query_string={name: value})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert name in response.get_json()["detail"]


@pytest.mark.parametrize("name", ["page", "per_page", "after_id"])
def test_a_number_too_long_for_python_is_400_not_500(client, name):
    response = client.get("/books", query_string={name: "9" * 5000})
    assert response.status_code == 400
    assert name in response.get_json()["detail"]


def test_leading_zeros_are_just_zeros(client, add_books):
    add_books(3)
    padded = "0" * 5000 + "2"
    body = client.get("/books", query_string={"page": padded, "per_page": "2"})
    assert body.get_json()["page"] == 2


@pytest.mark.parametrize("value", ["-1", "x", "1.0"])
def test_a_bad_after_id_is_a_400_problem(client, value):
    response = client.get("/books", query_string={"after_id": value})
    assert response.status_code == 400
    assert "after_id" in response.get_json()["detail"]


def test_a_page_past_the_end_is_200_and_empty(client, add_books):
    add_books(3)
    response = client.get("/books?page=99")
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert response.get_json()["total"] == 3


def test_a_huge_page_number_is_just_past_the_end(client, add_books):
    add_books(2)
    response = client.get(f"/books?page={10**15}")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_links_are_absolute_and_keep_the_other_parameters(client, add_books):
    add_books(30, author="Ursula K. Le Guin")
    response = client.get("/books?author=Ursula+K.+Le+Guin&sort=-year&per_page=10")
    links = parse_link(response.headers["Link"])
    assert set(links) == {"first", "next", "last"}  # no prev on page 1
    for url in links.values():
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.netloc == "localhost"
        query = parse_qs(parts.query)
        assert query["author"] == ["Ursula K. Le Guin"]
        assert query["sort"] == ["-year"]
        assert query["per_page"] == ["10"]
    assert parse_qs(urlsplit(links["last"]).query)["page"] == ["3"]


def test_a_middle_page_links_both_ways(client, add_books):
    add_books(30)
    links = parse_link(client.get("/books?page=2&per_page=10").headers["Link"])
    assert parse_qs(urlsplit(links["prev"]).query)["page"] == ["1"]
    assert parse_qs(urlsplit(links["next"]).query)["page"] == ["3"]


def sort_key(sort: str):
    """How the API should order items for `sort` (ties broken by id)."""
    field = sort.lstrip("-")

    def key(item):
        value = item[field]
        if field == "price" and value is not None:
            value = float(value)  # only to compare in the test
        return (value is not None, value, item["id"])  # NULLs sort first in MySQL

    return key


@pytest.mark.parametrize("sort", SORTS)
def test_following_next_links_visits_every_row_exactly_once(client, add_books, sort):
    ids = add_books(23, repeat_values=True)  # repeated values test the tie-breaker
    items = walk(client, f"/books?per_page=5&sort={sort}")
    assert sorted(item["id"] for item in items) == ids
    assert len(items) == len(ids)
    expected = sorted(items, key=sort_key(sort), reverse=sort.startswith("-"))
    assert [item["id"] for item in items] == [item["id"] for item in expected]


def test_after_id_walks_the_same_rows_as_pages(client, add_books):
    ids = add_books(23)
    by_page = walk(client, "/books?per_page=5")
    by_key = walk(client, "/books?per_page=5&after_id=0")
    assert [item["id"] for item in by_key] == [item["id"] for item in by_page] == ids


def test_after_id_starts_after_the_given_row(client, add_books):
    ids = add_books(10)
    body = client.get(f"/books?after_id={ids[3]}&per_page=3").get_json()
    assert [item["id"] for item in body["items"]] == ids[4:7]


def test_page_with_after_id_is_400(client):
    response = client.get("/books?page=2&after_id=10")
    assert response.status_code == 400
    assert "not both" in response.get_json()["detail"]


def test_after_id_with_another_sort_is_400(client):
    response = client.get("/books?after_id=10&sort=title")
    assert response.status_code == 400
    assert "after_id" in response.get_json()["detail"]


def test_unknown_sort_is_400_and_names_the_allowed_ones(client):
    response = client.get("/books", query_string={"sort": "title; DROP TABLE books"})
    assert response.status_code == 400
    detail = response.get_json()["detail"]
    assert "title" in detail and "created_at" in detail


def test_author_filter_is_exact(client, add_books):
    add_books(3, author="Le Guin")
    add_books(2, author="Ursula K. Le Guin")
    body = client.get("/books?author=Le+Guin").get_json()
    assert body["total"] == 3
    assert {item["author"] for item in body["items"]} == {"Le Guin"}


@pytest.mark.parametrize("asked", ["le guin", "Le Guin ", "Lé Guin", "LE GUIN"])
def test_author_filter_minds_case_accents_and_spaces(client, add_books, asked):
    add_books(2, author="Le Guin")
    assert client.get("/books", query_string={"author": asked}).get_json()["total"] == 0


def test_author_filter_tells_one_emoji_from_another(client, add_books):
    add_books(1, author="🐍")
    add_books(1, author="😀")
    body = client.get("/books", query_string={"author": "🐍"}).get_json()
    assert [item["author"] for item in body["items"]] == ["🐍"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("100%", ["100% Pure"]),
        ("snake_case", ["snake_case"]),
        ("_", ["snake_case"]),
        ("%", ["100% Pure"]),
        ("pure", ["100% Pure", "100 Pure"]),
        ("!", ["Wow!"]),
    ],
)
def test_q_matches_percent_and_underscore_literally(client, make_book, q, expected):
    for title in ["100% Pure", "100 Pure", "snake_case", "snakeXcase", "Wow!"]:
        make_book(title=title)
    body = client.get("/books", query_string={"q": q}).get_json()
    assert sorted(item["title"] for item in body["items"]) == sorted(expected)
