"""Text in every script survives the round trip, and money stays exact."""

from decimal import Decimal

import pytest

TEXTS = [
    "😀📚 Emoji",
    "リーダブルコード",  # Japanese
    "红楼梦",  # Chinese
    "한국어 책",  # Korean
    "كتاب",  # Arabic, written right to left
    "Gödel, Escher, Bach",
    "e\u0301 (an e and a combining accent)",
    "👩‍💻 one emoji made of three code points",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the Basic Multilingual Plane",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips_through_the_api_and_is_stored_as_utf8(client, query, text):
    created = client.post("/books", json={"title": text, "author": text}).get_json()
    assert client.get(f"/books/{created['id']}").get_json()["title"] == text
    # HEX() shows the bytes MySQL stored: they must be this text's UTF-8 bytes
    # (latin1 would have stored "?" or refused the row).
    [row] = query(
        "SELECT HEX(title) AS stored, CHAR_LENGTH(title) AS length FROM books"
    )
    assert row["stored"] == text.encode("utf-8").hex().upper()
    assert row["length"] == len(text)


def test_200_emoji_fit_in_varchar_200(client, book):
    title = "📚" * 200  # 200 characters, 800 bytes
    response = client.post("/books", json={**book, "title": title})
    assert response.status_code == 201
    assert response.get_json()["title"] == title


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("0.10", "0.10"),
        ("12.5", "12.50"),
        ("12", "12.00"),
        ("0", "0.00"),
        ("0.01", "0.01"),
        ("007.50", "7.50"),
        ("999999.99", "999999.99"),
        (None, None),
    ],
)
def test_price_keeps_its_cents_exactly(client, book, query, sent, answered):
    response = client.post("/books", json={**book, "price": sent})
    assert response.status_code == 201
    assert response.get_json()["price"] == answered
    [row] = query("SELECT price FROM books")
    assert row["price"] == (None if answered is None else Decimal(answered))


def test_price_is_a_json_string_never_a_number(client, book):
    response = client.post("/books", json={**book, "price": "0.10"})
    assert '"price":"0.10"' in response.get_data(as_text=True)


def test_prices_add_up_exactly_in_the_database(client, book, query):
    # In binary floating point 0.10 + 0.20 is 0.30000000000000004; DECIMAL is exact.
    for title, price in [("A", "0.10"), ("B", "0.20")]:
        client.post(
            "/books", json={**book, "title": title, "isbn": None, "price": price}
        )
    [row] = query("SELECT SUM(price) AS total FROM books")
    assert row["total"] == Decimal("0.30")
