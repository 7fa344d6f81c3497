"""Talking to a database server as its administrator: connect, create, load, drop.

A database name is an SQL identifier, and identifiers cannot be sent as query
parameters, so only names that match DATABASE_NAME ever go into SQL text.
"""

import re

import mysql.connector

DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# A schema file creates tables in the database it is given. Statements that pick,
# create or drop a *database* could reach someone's real data, so they are refused.
DATABASE_STATEMENT = re.compile(
    r"^\s*(USE|(CREATE|DROP|ALTER)\s+(DATABASE|SCHEMA))\b", re.IGNORECASE | re.MULTILINE
)


def connect(settings: dict[str, str], use_database: bool = True):
    """Open a connection with these settings (close it: use it in a `with`)."""
    return mysql.connector.connect(
        host=settings["MYSQL_HOST"],
        port=int(settings["MYSQL_PORT"]),
        user=settings["MYSQL_USER"],
        password=settings["MYSQL_PASSWORD"],
        database=settings["MYSQL_DATABASE"] if use_database else None,
        connection_timeout=5,
        # Say which character set this connection speaks, so an emoji arrives
        # as an emoji whatever the server's own default is.
        charset="utf8mb4",
        collation="utf8mb4_unicode_ci",
    )


def server_problem(settings: dict[str, str]) -> str | None:
    """None when the server in `settings` answers; otherwise what went wrong."""
    try:
        with connect(settings, use_database=False) as connection:
            connection.ping()
    except mysql.connector.Error as error:
        return str(error)
    return None


def run_admin(settings: dict[str, str], sql: str, parameters=()) -> list:
    """Run one statement outside any database; return its rows."""
    with (
        connect(settings, use_database=False) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.with_rows else []


def checked(name: str) -> str:
    """The name itself, once it is sure to be a safe identifier."""
    if not DATABASE_NAME.match(name):
        raise ValueError(f"database name {name!r} must be 1-64 letters, digits or _")
    return name


def database_exists(settings: dict[str, str], name: str) -> bool:
    """True when the server has a database called `name` that we may see."""
    sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s"
    return bool(run_admin(settings, sql, (checked(name),)))


def create_database(settings: dict[str, str], name: str) -> dict[str, str]:
    """Create a new, empty utf8mb4 database; return the settings that point at it.
    It fails when one exists: we may drop what we create, never someone else's."""
    sql = "CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    run_admin(settings, sql.format(checked(name)))
    return {**settings, "MYSQL_DATABASE": name}


def ensure_database(settings: dict[str, str]) -> None:
    """Create the database named in `settings` unless it exists (then left as is)."""
    if not database_exists(settings, settings["MYSQL_DATABASE"]):
        create_database(settings, settings["MYSQL_DATABASE"])


def drop_database(settings: dict[str, str], name: str) -> None:
    """Drop the database `name` (callers only drop databases they created)."""
    run_admin(settings, f"DROP DATABASE IF EXISTS `{checked(name)}`")


def load_schema(settings: dict[str, str], schema_sql: str) -> None:
    """Run a schema script (statements ending in `;`) in the settings' database.
    Reading every statement's result makes an error in a later one raise here."""
    found = DATABASE_STATEMENT.search(schema_sql)
    if found:
        raise ValueError(
            f"a schema must not choose, create or drop databases "
            f"(found {found.group(0).strip()!r}); the tooling picks the database"
        )
    with connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(schema_sql)
        for _statement, _rows in cursor.fetchsets():
            pass
        connection.commit()
