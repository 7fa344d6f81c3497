"""The books API on MySQL, with raw SQL; step 05 pages, sorts and filters the list.

Step 03 kept the books in a Python list. Step 04 moved them into the `books`
table (schema.sql), and every route sends SQL through mysql-connector-python.
Step 05 changes one route: `GET /books` now answers a page at a time
(pagination.py), sorted by `sort` and filtered by `author` and `q`.

Every query is a fixed string with %s placeholders; the values travel separately
and the driver escapes them. Never build SQL with f-strings or `format()`: a title
such as `x'); DROP TABLE books; --` would become part of the SQL (see README.md).
"""

from datetime import datetime

from flask import Blueprint, Response, request, url_for
from mysql.connector import IntegrityError, errorcode
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from db_connection import get_db, transaction
from pagination import (
    PageRequest,
    clamp_notice,
    keyset_links,
    link_header,
    offset_links,
    page_count,
    read_page_request,
)
from validation import MAX_TEXT_LENGTH, read_json_object, validate_book

blueprint = Blueprint("books", __name__)

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


# --8<-- [start:sort_and_filter]
# The columns a client may sort by. Only these names ever reach ORDER BY:
# a placeholder (%s) can carry a value, but never a column name, so names come
# from this allowlist and nothing the client typed is pasted into the SQL.
SORTABLE_COLUMNS = ("id", "title", "author", "year", "price", "created_at")
COLUMNS = "id, title, author, year, isbn, price, created_at, updated_at"


def read_order(args: MultiDict) -> str:
    """`sort=title` or `sort=-price` as an ORDER BY clause; 400 for other names.

    The id comes last, as a tie-breaker: many books share an author or a year,
    and rows that tie could otherwise swap places between two page requests,
    showing one book twice and another never.
    """
    sort = args.get("sort", "id")
    column = sort.removeprefix("-")
    if column not in SORTABLE_COLUMNS:
        allowed = ", ".join(SORTABLE_COLUMNS)
        raise BadRequest(f"sort must be one of {allowed} (with - for descending)")
    direction = "DESC" if sort.startswith("-") else "ASC"
    if column == "id":
        return f"id {direction}"
    return f"{column} {direction}, id {direction}"


def like_pattern(text: str) -> str:
    """A LIKE pattern for "title contains `text`", with its wildcards made literal.

    In LIKE, % matches any run of characters and _ any one character, so a search
    for "100%" would also find "1000 Days". Each of them (and the escape
    character "!" itself) gets a "!" in front, and the SQL says ESCAPE '!'.
    """
    for special in "!%_":
        text = text.replace(special, "!" + special)
    return f"%{text}%"


def read_text_filter(args: MultiDict, name: str) -> str | None:
    """The `author` or `q` parameter, or None; 400 when it is longer than a title.

    No title or author is longer than 200 characters (schema.sql), so a longer
    one can find nothing. Refusing it also keeps the Link header, which repeats
    the query in every link, a size that nginx's buffers hold.
    """
    text = args.get(name)
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise BadRequest(f"{name} must be at most {MAX_TEXT_LENGTH} characters")
    return text


def read_filters(args: MultiDict) -> tuple[list[str], list]:
    """`author` (exact) and `q` (title contains) as WHERE conditions and values."""
    conditions, values = [], []
    author = read_text_filter(args, "author")
    if author is not None:
        # Exact: the same characters, case and accents included. The table's
        # collation (utf8mb4_unicode_ci) compares text the way people search,
        # so "zoe" = "Zoë" and every emoji equals every other; comparing the
        # bytes (CAST ... AS BINARY) makes the filter exact.
        conditions.append("CAST(author AS BINARY) = CAST(%s AS BINARY)")
        values.append(author)
    q = read_text_filter(args, "q")
    if q is not None:
        # Contains, ignoring case only: both sides in lower case, compared as
        # code points (utf8mb4_bin). The table's collation would also ignore
        # accents, and characters it gives no weight at all (control
        # characters, U+200B ZERO WIDTH SPACE, ...), so "Data\x01Science" would
        # find "Data\u200bScience", a title that does not contain it.
        conditions.append("LOWER(title) COLLATE utf8mb4_bin LIKE LOWER(%s) ESCAPE '!'")
        values.append(like_pattern(q))
    return conditions, values


def where_clause(conditions: list[str]) -> str:
    """' WHERE a AND b' (fixed SQL text, never client text), or ''."""
    return " WHERE " + " AND ".join(conditions) if conditions else ""


# --8<-- [end:sort_and_filter]


# --8<-- [start:list_books]
@blueprint.get("/books")
def list_books():
    """GET /books: one page of books, sorted and filtered as the query asks."""
    page_request = read_page_request(request.args)
    order = read_order(request.args)
    conditions, values = read_filters(request.args)
    if page_request.after_id is not None:
        return list_books_after(page_request, order, conditions, values)

    # The SQL below is put together from fixed pieces (where_clause() and the
    # allowlisted `order`); every value the client sent travels as a %s value.
    where = where_clause(conditions)
    with get_db().cursor(dictionary=True) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS total FROM books{where}", values)  # noqa: S608
        total = cursor.fetchone()["total"]
        pages = page_count(total, page_request.per_page)
        rows = []
        if page_request.page <= pages:  # past the end: no need to ask
            cursor.execute(
                f"SELECT {COLUMNS} FROM books{where}"  # noqa: S608
                f" ORDER BY {order} LIMIT %s OFFSET %s",
                (*values, page_request.per_page, page_request.offset),
            )
            rows = cursor.fetchall()
    body = {
        "items": [book_to_json(row) for row in rows],
        "page": page_request.page,
        "per_page": page_request.per_page,
        "total": total,
        "pages": pages,
        **clamp_notice(page_request),
    }
    headers = {
        "X-Total-Count": str(total),
        "Link": link_header(offset_links(page_request, pages)),
    }
    return body, 200, headers


# --8<-- [end:list_books]


# --8<-- [start:list_books_after]
def list_books_after(
    page_request: PageRequest, order: str, conditions: list[str], values: list
):
    """GET /books?after_id=N: keyset paging, the rows that come after id N.

    `WHERE id > N ORDER BY id LIMIT 21` lets the database jump straight to N in
    the primary key's index: the same cost on the first page and the
    thousandth. We ask for one row more than a page to learn if there is a next.
    """
    if order != "id ASC":
        raise BadRequest("after_id pages in id order: leave out sort, or use sort=id")
    where = where_clause(["id > %s", *conditions])
    with get_db().cursor(dictionary=True) as cursor:
        cursor.execute(
            f"SELECT {COLUMNS} FROM books{where} ORDER BY id LIMIT %s",  # noqa: S608
            (page_request.after_id, *values, page_request.per_page + 1),
        )
        rows = cursor.fetchall()
    has_more = len(rows) > page_request.per_page
    rows = rows[: page_request.per_page]
    next_after_id = rows[-1]["id"] if has_more else None
    body = {
        "items": [book_to_json(row) for row in rows],
        "after_id": page_request.after_id,
        "per_page": page_request.per_page,
        "next_after_id": next_after_id,
        **clamp_notice(page_request),
    }
    headers = {"Link": link_header(keyset_links(page_request, next_after_id))}
    return body, 200, headers


# --8<-- [end:list_books_after]


@blueprint.get("/books/<id:book_id>")
def get_book(book_id: int):
    """GET /books/<id>: one book, or 404."""
    with get_db().cursor(dictionary=True) as cursor:
        return book_to_json(find_book(cursor, book_id))


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
