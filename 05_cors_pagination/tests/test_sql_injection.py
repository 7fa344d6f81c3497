"""SQL injection: why every query sends its values as parameters.

The first test shows the danger on a throwaway database: a title pasted into SQL
with an f-string drops the table. The others send the same kind of text through
the API, which passes values separately from the SQL, and find it stored as
plain text, with the table intact.
"""

import pytest

DROP_THE_TABLE = "x'); DROP TABLE books; --"

NASTY_TEXTS = [
    DROP_THE_TABLE,
    "Robert'); DROP TABLE books;--",
    "' OR '1'='1",
    '"; DELETE FROM books; --',
    "\\'; SELECT SLEEP(5); #",
    "%s %s %(title)s {title}",
    "back\\slash and 'quotes' and `backticks`",
    "NUL\x00in the middle",
]


def table_names(query):
    """The tables of the test's database."""
    return [next(iter(row.values())) for row in query("SHOW TABLES")]


# --8<-- [start:injection_demo]
def test_string_formatting_would_let_a_title_drop_the_table(
    database, query, mysql_connect
):
    title = DROP_THE_TABLE
    # NEVER DO THIS: the title becomes part of the SQL text. The ' in the title
    # ends the string early, and the rest is read as a second statement.
    sql = f"INSERT INTO books (author, title) VALUES ('Ann', '{title}')"  # noqa: S608
    assert sql == (
        "INSERT INTO books (author, title) VALUES ('Ann', 'x'); DROP TABLE books; --')"
    )
    with mysql_connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        with pytest.raises(Exception, match="syntax"):  # the leftover "--')" ...
            while cursor.nextset():  # ... fails, but only after the DROP ran
                pass
    assert "books" not in table_names(query)


# --8<-- [end:injection_demo]


@pytest.mark.parametrize("text", NASTY_TEXTS)
def test_sql_in_a_title_is_stored_as_plain_text(client, query, text):
    response = client.post("/books", json={"title": text, "author": text})
    assert response.status_code == 201
    assert response.get_json()["title"] == text
    assert query("SELECT title, author FROM books") == [{"title": text, "author": text}]
    assert table_names(query) == ["books"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_sql_in_an_update_is_stored_as_plain_text(client, add_book, query, method):
    first = add_book(isbn=None)
    add_book(isbn=None, title="Untouched")
    body = {"title": DROP_THE_TABLE, "author": "' OR '1'='1"}
    response = client.open(f"/books/{first['id']}", method=method, json=body)
    assert response.status_code == 200
    titles = [row["title"] for row in query("SELECT title FROM books ORDER BY id")]
    assert titles == [DROP_THE_TABLE, "Untouched"]  # one row changed, not every row


@pytest.mark.parametrize(
    "path", ["/books/1%20OR%201=1", "/books/1;DROP%20TABLE%20books", "/books/1'"]
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_sql_in_the_url_never_reaches_the_database(
    client, add_book, all_rows, method, path
):
    add_book()
    before = all_rows()
    assert client.open(path, method=method).status_code == 404
    assert all_rows() == before
