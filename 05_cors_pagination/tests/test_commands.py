"""The commands `flask --app app init-db` and `flask --app app seed-db`."""

import json

import pytest

from app import create_app
from db_commands import GENERATED_BOOKS, SAMPLE_BOOKS_FILE, generated_books

SAMPLE_BOOKS = json.loads(SAMPLE_BOOKS_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def empty_database(mysql_database):
    """The settings of a fresh database with no tables at all."""
    return mysql_database()


@pytest.fixture
def empty_runner(empty_database):
    """A command runner for an app whose database has no books table yet."""
    return create_app({"TESTING": True, **empty_database}).test_cli_runner()


def test_init_db_creates_the_books_table(empty_runner, empty_database):
    result = empty_runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Created the books table" in result.output
    app = create_app({"TESTING": True, **empty_database})
    assert app.test_client().get("/books").get_json()["items"] == []


def test_init_db_on_an_empty_table_asks_nothing(runner, all_rows):
    result = runner.invoke(args=["init-db"], input="")
    assert result.exit_code == 0, result.output
    assert "Drop them all?" not in result.output


def test_init_db_asks_before_it_drops_books_and_keeps_them_on_no(
    runner, add_book, all_rows
):
    add_book()
    result = runner.invoke(args=["init-db"], input="n\n")
    assert "has 1 books. Drop them all? [y/N]" in result.output
    assert result.exit_code == 1
    assert "Nothing was changed." in result.output
    assert len(all_rows()) == 1


def test_init_db_with_no_answer_at_all_keeps_the_books(runner, add_book, all_rows):
    # A script with no terminal: no answer is no.
    add_book()
    result = runner.invoke(args=["init-db"], input="")
    assert result.exit_code == 1
    assert len(all_rows()) == 1


@pytest.mark.parametrize(
    ("args", "answer"), [(["init-db"], "y\n"), (["init-db", "--yes"], "")]
)
def test_init_db_drops_every_existing_row_when_told_to(
    runner, add_book, all_rows, args, answer
):
    add_book()
    result = runner.invoke(args=args, input=answer)
    assert result.exit_code == 0, result.output
    assert "Dropped the old books table (1 books)" in result.output
    assert all_rows() == []


def test_seed_db_adds_every_sample_book_first(runner, client, all_rows):
    result = runner.invoke(args=["seed-db", "--generated", "0"])
    assert result.exit_code == 0, result.output
    assert f"Added {len(SAMPLE_BOOKS)} real books and 0 made-up ones." in result.output
    books = client.get("/books?per_page=100").get_json()["items"]
    assert [book["title"] for book in books] == [b["title"] for b in SAMPLE_BOOKS]
    assert len(all_rows()) == len(SAMPLE_BOOKS)


def test_seed_db_adds_thousands_of_books_to_page_through(runner, client):
    result = runner.invoke(args=["seed-db"])
    assert result.exit_code == 0, result.output
    body = client.get("/books").get_json()
    assert body["total"] == len(SAMPLE_BOOKS) + GENERATED_BOOKS
    assert GENERATED_BOOKS >= 2000
    assert body["pages"] == -(-body["total"] // 20)


def test_the_made_up_books_are_the_same_on_every_run():
    assert generated_books(50) == generated_books(50)
    assert len({title for title, *_ in generated_books(500)}) == 500


def test_the_sample_books_are_a_few_dozen_with_distinct_isbns():
    isbns = [book["isbn"] for book in SAMPLE_BOOKS if book["isbn"]]
    assert len(SAMPLE_BOOKS) >= 24
    assert len(isbns) == len(set(isbns))


def test_seed_db_twice_adds_nothing_the_second_time(runner, all_rows):
    runner.invoke(args=["seed-db"])
    before = all_rows()
    result = runner.invoke(args=["seed-db"])
    assert result.exit_code == 1
    assert "these books are in the table already; nothing was added" in result.output
    assert "flask --app app init-db" in result.output
    assert all_rows() == before


def test_seed_db_without_the_table_says_to_run_init_db(empty_runner):
    result = empty_runner.invoke(args=["seed-db"])
    assert result.exit_code == 1
    assert "there is no books table yet" in result.output
    assert "flask --app app init-db" in result.output


@pytest.mark.parametrize("command", ["init-db", "seed-db"])
def test_commands_explain_a_stopped_server(runner, mysql_control, command):
    mysql_control.stop()
    result = runner.invoke(args=[command])
    assert result.exit_code == 1
    assert "cannot connect to" in result.output
    assert "lessons db start" in result.output
    assert "Traceback" not in result.output
