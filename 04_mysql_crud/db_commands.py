"""Two commands for the terminal: `flask --app app init-db` and `seed-db` (step 04).

Flask's command line is built with click: a function decorated with
@click.command becomes a command once the app factory adds it to `app.cli`.
@with_appcontext runs it inside an app context, so `get_db()` works there as it
does in a request, and the connection is closed when the command ends.
"""

import json
from pathlib import Path

import click
import mysql.connector
from flask import current_app
from flask.cli import with_appcontext
from mysql.connector import errorcode

from db_connection import DatabaseUnavailable, get_db, transaction
from validation import ValidationError, validate_book

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "schema.sql"
SAMPLE_BOOKS_FILE = HERE / "sample_books.json"
START_THE_SERVER = (
    'Is the server running? Try: lessons db start && eval "$(lessons db env)"'
)


@click.command("init-db")
@click.option("--yes", is_flag=True, help="Drop a books table that has rows, unasked.")
@with_appcontext  # current_app and g work inside, as they do in a request
def init_db_command(yes: bool) -> None:
    """Create the books table from schema.sql (asks before it drops any books)."""
    schema = SCHEMA_FILE.read_text(encoding="utf-8")
    try:
        books = count_books()
        # schema.sql starts with DROP TABLE: on a server of your own, that would
        # delete your books. So we ask first, unless told --yes (for scripts).
        if books and not yes:
            where = database_name()
            question = f"The books table of {where} has {books} books. Drop them all?"
            if not click.confirm(question):
                raise click.ClickException("Nothing was changed.")
        with get_db().cursor() as cursor:
            cursor.execute(schema)  # the whole file: several statements
            while cursor.nextset():  # step through each statement's result,
                pass  # so an error in any of them is raised here
    except DatabaseUnavailable as error:
        raise click.ClickException(f"{error}\n{START_THE_SERVER}") from None
    except mysql.connector.Error as error:
        raise click.ClickException(f"schema.sql failed: {error}") from None
    if books:
        click.echo(f"Dropped the old books table ({books} books); created it anew.")
    else:
        click.echo("Created the books table.")


def count_books() -> int:
    """How many rows the books table has: 0 when there is no such table yet."""
    try:
        with get_db().cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM books")
            return cursor.fetchone()[0]
    except mysql.connector.Error as error:
        if error.errno == errorcode.ER_NO_SUCH_TABLE:
            return 0
        raise


def database_name() -> str:
    """The database as a person would name it: bookshop on 127.0.0.1:3306."""
    config = current_app.config
    return (
        f"{config['MYSQL_DATABASE']} on {config['MYSQL_HOST']}:{config['MYSQL_PORT']}"
    )


@click.command("seed-db")
@with_appcontext
def seed_db_command() -> None:
    """Add the sample books from sample_books.json, all of them or none."""
    rows = []
    for number, data in enumerate(json.loads(SAMPLE_BOOKS_FILE.read_text("utf-8"))):
        try:
            book = validate_book(data)  # the same rules as the API
        except ValidationError as error:
            raise click.ClickException(f"book {number}: {error.errors}") from None
        rows.append(
            (book["title"], book["author"], book["year"], book["isbn"], book["price"])
        )
    try:
        with transaction() as cursor:
            cursor.executemany(
                "INSERT INTO books (title, author, year, isbn, price)"
                " VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
    except DatabaseUnavailable as error:
        raise click.ClickException(f"{error}\n{START_THE_SERVER}") from None
    except mysql.connector.Error as error:
        if error.errno == errorcode.ER_DUP_ENTRY:
            message = "these books are in the table already"
        elif error.errno == errorcode.ER_NO_SUCH_TABLE:
            message = "there is no books table yet"
        else:
            raise click.ClickException(str(error)) from None
        raise click.ClickException(
            f"{message}; nothing was added. For a fresh start run:\n"
            "    flask --app app init-db && flask --app app seed-db"
        ) from None
    click.echo(f"Added {len(rows)} books.")
