"""Checking what a client sends, before any SQL runs (new in step 04).

`read_json_object()` reads the request body: JSON, and a JSON object.
`validate_book()` checks every field and collects *every* problem, so one 422
response lists them all instead of making the client fix them one at a time.
"""

import json
import re
from datetime import date
from decimal import Decimal

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import BaseConverter

WRITABLE_FIELDS = ("title", "author", "year", "isbn", "price")
SERVER_FIELDS = ("id", "created_at", "updated_at")  # the server sets these
MAX_TEXT_LENGTH = 200  # VARCHAR(200) in schema.sql
MIN_YEAR = -3000  # about when writing began; -300 means 300 BC
MAX_PRICE = Decimal("999999.99")  # the largest DECIMAL(8, 2)
# [0-9], not \d: in Python \d also matches other scripts' digits, such as "٣".
PRICE_PATTERN = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
ISBN_10_PATTERN = re.compile(r"[0-9]{9}[0-9X]")
ISBN_13_PATTERN = re.compile(r"[0-9]{13}")


class BookIdConverter(BaseConverter):
    """`<id:book_id>` in a route: 1 to 19 ASCII digits, given to the view as an int.

    Werkzeug's own `<int:...>` matches any Unicode digit, so /books/٤٧ (Arabic-
    Indic digits) or /books/４７ (fullwidth) would reach book 47. An id is 0-9
    only, in the URL as in the query string (pagination.py). 19 digits reach
    MySQL's largest integer (BIGINT; our ids are INT UNSIGNED, at most
    4294967295); a longer "id" is a URL we do not have (404).
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        """The digits of the URL as the int the view gets."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The int as digits, for url_for()."""
        return str(value)


def refuse_lowercase_method() -> None:
    """400 for `get /books`: a method name is case-sensitive (RFC 9110 §9.1).

    Werkzeug turns the method to upper case before routing, so without this the
    development server would answer `get` as if it were `GET`, while nginx and
    gunicorn refuse it as a malformed request (400). Now all three agree.
    """
    method = request.environ.get("REQUEST_METHOD", "")
    if method != method.upper():
        raise BadRequest(
            f"HTTP methods are case-sensitive: send {method.upper()}, not {method}."
        )


class ValidationError(Exception):
    """The body has invalid fields; `errors` lists them, one dict per field."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class FieldError(Exception):
    """One field's value is not acceptable; the message says why."""


def reject_constant(name: str) -> None:
    """Refuse NaN and Infinity: Python's json accepts them, but they are not JSON."""
    raise ValueError(f"{name} is not valid JSON (RFC 8259)")


def read_json_object() -> dict:
    """Return the request body as a dict, or raise 415 / 400 / 413."""
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the book as JSON, with the header Content-Type: application/json."
        )
    limit = request.max_content_length  # MAX_CONTENT_LENGTH, set in app.py
    too_large = RequestEntityTooLarge(f"The body is over {limit // 1024} KiB.")
    if request.content_length is None:
        # A chunked body (RFC 9112 §7.1) has no Content-Length, so Werkzeug counts
        # as it reads, and refuses any read once it has read `limit` bytes: even
        # the last read that would only learn "the body has ended". Allowing one
        # byte more lets a body of exactly 64 KiB through, as with Content-Length.
        request.max_content_length = limit + 1
    try:
        body = request.get_data()
    except RequestEntityTooLarge:  # more than the limit, whichever way it came
        raise too_large from None
    if len(body) > limit:  # the one byte more of a chunked body
        raise too_large
    try:
        data = json.loads(body, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        # ValueError: broken JSON or bytes that are not UTF-8.
        # RecursionError: "[[[[...]]]]" nested deeper than Python can follow.
        raise BadRequest("The request body is not valid JSON.") from None
    try:
        # JSON can spell half an emoji, "\ud83d". That is not text: UTF-8 (so
        # MySQL, and our own answers) cannot hold it.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            "The request body has text that is not valid Unicode."
        ) from None
    if not isinstance(data, dict):
        raise BadRequest('The request body must be a JSON object, like {"title": …}.')
    return data


def clean_text(value: object) -> str:
    """A required text field: a non-empty string of at most 200 characters."""
    if value is None:
        raise FieldError("is required")
    if not isinstance(value, str):
        raise FieldError("must be a string")
    text = value.strip()
    if not text:
        raise FieldError("must not be empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise FieldError(f"must be at most {MAX_TEXT_LENGTH} characters")
    return text


def clean_year(value: object) -> int | None:
    """A whole number from -3000 to next year, or null."""
    if value is None:
        return None
    # bool is a subclass of int in Python, so `true` would pass as 1 without this.
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError("must be a whole number like 1999, or null")
    last_year = date.today().year + 1
    if not MIN_YEAR <= value <= last_year:
        raise FieldError(f"must be between {MIN_YEAR} and {last_year}")
    return value


def isbn_10_is_valid(isbn: str) -> bool:
    """ISBN-10 check: digits weighted 10, 9, ..., 1 add up to a multiple of 11."""
    digits = [10 if char == "X" else int(char) for char in isbn]
    weights = range(10, 0, -1)
    total = sum(digit * weight for digit, weight in zip(digits, weights, strict=True))
    return total % 11 == 0


def isbn_13_is_valid(isbn: str) -> bool:
    """ISBN-13 check: digits weighted 1, 3, 1, 3, ... add up to a multiple of 10."""
    weights = [1, 3] * 6 + [1]
    total = sum(int(char) * weight for char, weight in zip(isbn, weights, strict=True))
    return total % 10 == 0


def isbn_13_from_isbn_10(isbn: str) -> str:
    """The ISBN-13 of the same book: "978", the first 9 digits, a new check digit.

    0132350882 and 9780132350884 name one book. Storing one form only (ISBN-13)
    lets the unique key on isbn see that they are the same.
    """
    digits = "978" + isbn[:9]
    weights = [1, 3] * 6
    pairs = zip(digits, weights, strict=True)
    total = sum(int(char) * weight for char, weight in pairs)
    return digits + str(-total % 10)  # the digit that makes the total end in 0


def clean_isbn(value: object) -> str | None:
    """An ISBN-10 or ISBN-13 (hyphens and spaces allowed), stored as an ISBN-13."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError('must be a string like "978-0-13-235088-4", or null')
    isbn = value.replace("-", "").replace(" ", "").upper()
    if ISBN_13_PATTERN.fullmatch(isbn):
        is_valid = isbn_13_is_valid(isbn)
    elif ISBN_10_PATTERN.fullmatch(isbn):
        is_valid = isbn_10_is_valid(isbn)
    else:
        raise FieldError("must be an ISBN-10 or ISBN-13: 10 or 13 digits")
    if not is_valid:
        raise FieldError("has a wrong check digit (the last digit); check for typos")
    if len(isbn) == 10:
        return isbn_13_from_isbn_10(isbn)
    return isbn


def clean_price(value: object) -> Decimal | None:
    """A price sent as a string like "12.50": a Decimal from 0 to 999999.99."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # 0.1 + 0.2 == 0.30000000000000004 in binary floating point. A JSON number
        # is read as a float by most clients, so money travels as a string.
        raise FieldError('must be a string like "12.50", not a JSON number')
    if not isinstance(value, str):
        raise FieldError('must be a string like "12.50", or null')
    if not PRICE_PATTERN.fullmatch(value):
        raise FieldError('must be a number ≥ 0 with at most 2 decimals, like "12.50"')
    price = Decimal(value)  # exact: Decimal("0.10") is 0.10, not 0.1000000000000000055
    if price > MAX_PRICE:
        raise FieldError(f"must be at most {MAX_PRICE}")
    return price


CLEANERS = {
    "title": clean_text,
    "author": clean_text,
    "year": clean_year,
    "isbn": clean_isbn,
    "price": clean_price,
}


def validate_book(data: dict, partial: bool = False) -> dict:
    """Return the cleaned fields of a book, or raise ValidationError listing all.

    partial=False (POST, PUT): title and author are required, and a missing
    optional field becomes None, so PUT replaces the whole book.
    partial=True (PATCH): only the fields that were sent are checked and returned.
    """
    errors = []
    for name in data:
        if name in SERVER_FIELDS:
            errors.append({"field": name, "message": "is set by the server"})
        elif name not in WRITABLE_FIELDS:
            known = ", ".join(WRITABLE_FIELDS)
            message = f"is not a field of a book (the fields are: {known})"
            errors.append({"field": name, "message": message})
    book = {}
    for name, clean in CLEANERS.items():
        if name not in data and partial:
            continue
        try:
            book[name] = clean(data.get(name))
        except FieldError as error:
            errors.append({"field": name, "message": str(error)})
    if errors:
        raise ValidationError(errors)
    return book
