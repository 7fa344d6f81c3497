"""The books controller: read-only books from a list in memory.

These URLs and this JSON are the shape of the books API. Step 04 keeps them and
reads the books from MySQL instead of this list (and adds POST, PUT, PATCH and
DELETE).
"""

from flask import Blueprint, abort

blueprint = Blueprint("books", __name__)

# A few real books. The price is a string such as "39.99", never a float: a
# float cannot hold most decimal fractions exactly (0.1 + 0.2 != 0.3), and money
# must not drift. JSON clients read the string and keep it exact.
BOOKS = [
    {
        "id": 1,
        "title": "Fluent Python",
        "author": "Luciano Ramalho",
        "year": 2022,
        "isbn": "9781492056355",
        "price": "59.99",
    },
    {
        "id": 2,
        "title": "Flask Web Development",
        "author": "Miguel Grinberg",
        "year": 2018,
        "isbn": "9781491991732",
        "price": "39.99",
    },
    {
        "id": 3,
        "title": "Automate the Boring Stuff with Python",
        "author": "Al Sweigart",
        "year": 2019,
        "isbn": "9781593279929",
        "price": "29.95",
    },
    {
        "id": 4,
        "title": "The Pragmatic Programmer",
        "author": "David Thomas, Andrew Hunt",
        "year": 2019,
        "isbn": "9780135957059",
        "price": "44.50",
    },
]


# --8<-- [start:routes]
@blueprint.get("/books")
def list_books():
    """Every book, as a JSON list (Flask turns a returned list into JSON)."""
    return BOOKS


@blueprint.get("/books/<int:book_id>")
def get_book(book_id):
    """One book by its id; 404 when no book has that id."""
    # <int:book_id> matches digits only and hands us an int: /books/abc never
    # reaches this function (Flask answers 404 by itself).
    for book in BOOKS:
        if book["id"] == book_id:
            return book
    # abort() raises the 404, and Flask answers it with its error page, which
    # shows this description. (Step 04 answers every error as JSON instead.)
    abort(404, description=f"There is no book with id {book_id}.")


# --8<-- [end:routes]
