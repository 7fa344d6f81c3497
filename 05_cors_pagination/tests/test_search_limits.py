"""`q` means "the title contains this", and no query can make the answer huge.

The table's collation ignores some characters entirely (control characters,
U+200B ZERO WIDTH SPACE, U+200D ZERO WIDTH JOINER) and all accents; `q` must
not find a title that does not contain what was asked. And every link in the
Link header repeats the query, so its parameters have a documented limit.
"""

import pytest


def total_for(client, q):
    """How many books GET /books?q=... finds."""
    response = client.get("/books", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


@pytest.mark.parametrize("ignored", ["\x01", "\u200b", "\u200d", "\x7f"])
def test_q_does_not_match_a_character_the_collation_ignores(client, make_book, ignored):
    make_book(title="Data\u200bScience Handbook", author="Ann Example")
    make_book(title="DataScience Handbook", author="Ann Example")
    asked = "Data" + ignored + "Science"
    expected = 1 if ignored == "\u200b" else 0  # only the title that holds it
    assert total_for(client, asked) == expected


def test_q_ignores_case_but_not_accents(client, make_book):
    make_book(title="Les Misérables", author="Victor Hugo")
    assert total_for(client, "misérables") == 1
    assert total_for(client, "MISÉRABLES") == 1
    assert total_for(client, "miserables") == 0


def test_q_still_finds_emoji_exactly(client, make_book):
    make_book(title="Cooking with 🍕", author="Ann Example")
    assert total_for(client, "🍕") == 1
    assert total_for(client, "🍔") == 0


@pytest.mark.parametrize("name", ["q", "author"])
def test_a_text_filter_over_200_characters_is_400(client, name):
    response = client.get("/books", query_string={name: "x" * 201})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "200" in response.get_json()["detail"]


@pytest.mark.parametrize("name", ["q", "author"])
def test_a_text_filter_of_200_characters_is_served(client, name):
    response = client.get("/books", query_string={name: "本" * 200})
    assert response.status_code == 200


def test_links_leave_out_parameters_the_api_does_not_read(client, add_books):
    add_books(3)
    response = client.get("/books", query_string={"per_page": 1, "junk": "x" * 5000})
    assert response.status_code == 200
    assert "junk" not in response.headers["Link"]
    assert "per_page=1" in response.headers["Link"]


def test_the_longest_link_header_fits_nginx_s_buffer(client, make_book):
    # The largest query the limits allow: q and author of 200 four-byte
    # characters each, which percent-encoding makes 12 bytes apiece; and a
    # middle page, so that all four links are there.
    longest = {"q": "😀" * 200, "author": "😀" * 200, "sort": "-created_at"}
    for _ in range(3):
        make_book(title=longest["q"], author=longest["author"])
    response = client.get("/books", query_string={**longest, "page": 2, "per_page": 1})
    assert response.status_code == 200
    assert response.headers["Link"].count("rel=") == 4
    header_bytes = sum(len(f"{k}: {v}\r\n".encode()) for k, v in response.headers)
    assert header_bytes < 32 * 1024  # proxy_buffer_size in deploy/nginx.conf.template
