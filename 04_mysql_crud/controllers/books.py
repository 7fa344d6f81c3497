"""The books API on MySQL, with raw SQL (step 04).

Step 03 kept the books in a Python list. Now they live in the `books` table
(schema.sql), and every route sends SQL through mysql-connector-python.

Every query is a fixed string with %s placeholders; the values travel separately
and the driver escapes them. Never build SQL with f-strings or `format()`: a title
such as `x'); DROP TABLE books; --` would become part of the SQL (see README.md).
"""

from datetime import datetime

from flask import Blueprint, Response, url_for
from mysql.connector import IntegrityError, errorcode
from werkzeug.exceptions import Conflict, NotFound

from db_connection import get_db, transaction
from validation import read_json_object, validate_book

blueprint = Blueprint("books", __name__)

# --8<-- [start:sql]
SELECT_ALL_BOOKS = (
    "SELECT id, title, author, year, isbn, price, created_at, updated_at"
    " FROM books ORDER BY id"
)
SELECT_BOOK = (
    "SELECT id, title, author, year, isbn, price, created_at, updated_at"
    " FROM books WHERE id = %s"
)
# FOR UPDATE also locks the row until the commit: two PATCH requests for one
# book then take turns, and neither overwrites what the other just changed.
SELECT_BOOK_FOR_UPDATE = SELECT_BOOK + " FOR UPDATE"
INSERT_BOOK = (
    "INSERT INTO books (title, author, year, isbn, price) VALUES (%s, %s, %s, %s, %s)"
)
UPDATE_BOOK = (
    "UPDATE books SET title = %s, author = %s, year = %s, isbn = %s, price = %s"
    " WHERE id = %s"
)
DELETE_BOOK = "DELETE FROM books WHERE id = %s"
# --8<-- [end:sql]


def utc_text(moment: datetime) -> str:
    """A TIMESTAMP (UTC, see db_connection.py) as ISO 8601: 2025-01-31T09:30:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def book_to_json(row: dict) -> dict:
    """A row of the books table as JSON-ready values.

    DECIMAL comes back as decimal.Decimal("12.50"): we send it as the string
    "12.50", because a JSON number is read as a binary float by most clients
    and 0.1 has no exact float. Timestamps become ISO 8601 text in UTC.
    """
    return {
        "id": row["id"],
        "title": row["title"],
        "author": row["author"],
        "year": row["year"],
        "isbn": row["isbn"],
        "price": None if row["price"] is None else str(row["price"]),
        "created_at": utc_text(row["created_at"]),
        "updated_at": utc_text(row["updated_at"]),
    }


def find_book(cursor, book_id: int, sql: str = SELECT_BOOK) -> dict:
    """The row with this id (read with `sql`), or 404."""
    cursor.execute(sql, (book_id,))
    row = cursor.fetchone()
    if row is None:
        raise NotFound(f"There is no book with id {book_id}.")
    return row


def book_values(book: dict) -> tuple:
    """The values for the %s placeholders of INSERT_BOOK and UPDATE_BOOK, in order."""
    return (book["title"], book["author"], book["year"], book["isbn"], book["price"])


@blueprint.get("/books")
def list_books():
    """GET /books: every book, in the order they were added."""
    with get_db().cursor(dictionary=True) as cursor:
        cursor.execute(SELECT_ALL_BOOKS)
        rows = cursor.fetchall()
    return [book_to_json(row) for row in rows]  # Flask sends a list as JSON


@blueprint.get("/books/<id:book_id>")
def get_book(book_id: int):
    """GET /books/<id>: one book, or 404."""
    with get_db().cursor(dictionary=True) as cursor:
        return book_to_json(find_book(cursor, book_id))


# --8<-- [start:create_book]
@blueprint.post("/books")
def create_book():
    """POST /books: add a book; 201 with its URL in Location and the stored row."""
    book = validate_book(read_json_object())
    try:
        with transaction() as cursor:
            cursor.execute(INSERT_BOOK, book_values(book))
            # Read the row back: the id, timestamps and rounded price come
            # from the database, so the client sees exactly what was stored.
            created = find_book(cursor, cursor.lastrowid)
    except IntegrityError as error:
        # 1062 "Duplicate entry": the unique key on isbn said no; nothing was saved.
        if error.errno == errorcode.ER_DUP_ENTRY:
            raise Conflict(f"Another book has the isbn {book['isbn']}.") from None
        raise
    location = url_for("books.get_book", book_id=created["id"])
    return book_to_json(created), 201, {"Location": location}


# --8<-- [end:create_book]


@blueprint.put("/books/<id:book_id>")
def replace_book(book_id: int):
    """PUT /books/<id>: replace the whole book; missing optional fields become null."""
    return update_book(book_id, validate_book(read_json_object()))


@blueprint.patch("/books/<id:book_id>")
def patch_book(book_id: int):
    """PATCH /books/<id>: change only the fields that were sent."""
    return update_book(book_id, validate_book(read_json_object(), partial=True))


def update_book(book_id: int, changes: dict):
    """Apply `changes` to the book in one transaction and answer the stored row."""
    try:
        with transaction() as cursor:
            book = find_book(cursor, book_id, SELECT_BOOK_FOR_UPDATE)
            book.update(changes)
            cursor.execute(UPDATE_BOOK, (*book_values(book), book_id))
            updated = find_book(cursor, book_id)
    except IntegrityError as error:
        if error.errno == errorcode.ER_DUP_ENTRY:
            raise Conflict(f"Another book has the isbn {book['isbn']}.") from None
        raise
    return book_to_json(updated)


@blueprint.delete("/books/<id:book_id>")
def delete_book(book_id: int):
    """DELETE /books/<id>: 204 No Content (an empty body), or 404."""
    with transaction() as cursor:
        cursor.execute(DELETE_BOOK, (book_id,))
        if cursor.rowcount == 0:  # how many rows the DELETE removed
            raise NotFound(f"There is no book with id {book_id}.")
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no type of body either
    return response
