"""The connection to MySQL/MariaDB (new in step 04).

One connection per request: `get_db()` opens it the first time a request needs it
and keeps it on `flask.g` (an object that lives exactly as long as one request);
`close_db()` closes it when the request ends. `transaction()` makes a group of
statements count as one: all of them, or none.

Step 05 adds an option, MYSQL_POOL_SIZE: with a number above 0, connections come
from a pool that each worker process keeps open, instead of a new connection per
request (`lessons bench pool` measures the difference; the README shows it).
"""

import contextlib
import os
import threading
from collections.abc import Iterator

import mysql.connector
import mysql.connector.pooling
from dotenv import load_dotenv
from flask import current_app, g

CONNECT_TIMEOUT_SECONDS = 3  # a stopped server should mean a quick 503, not a hang
# A server that takes our query and then says nothing (overloaded, or frozen):
# after this long without an answer, mysql-connector closes the connection and
# raises ReadTimeoutError, and the client gets its 503 (errors.py). Our queries
# take milliseconds; a much slower one means something is wrong.
QUERY_TIMEOUT_SECONDS = 3
POOL_LOCK = threading.Lock()  # two first requests at once must not make two pools


class DatabaseUnavailable(Exception):
    """The database server cannot be reached; errors.py answers 503."""


# The MYSQL_* settings, and what each one is when neither the environment nor a
# .env file sets it: MySQL as it is installed on this machine (user root, no
# password), and the course's database.
DEFAULT_SETTINGS = {
    "MYSQL_HOST": "127.0.0.1",
    "MYSQL_PORT": "3306",
    "MYSQL_USER": "root",
    "MYSQL_PASSWORD": "",
    "MYSQL_DATABASE": "bookshop",
    # 0: a new connection per request (step 04). N: a pool of N connections.
    "MYSQL_POOL_SIZE": "0",
}


def settings_from_environment() -> dict:
    """The MYSQL_* settings from the environment or from a `.env` file."""
    # load_dotenv() reads KEY=value lines from a .env file (it looks next to this
    # file, then in each folder above) into os.environ. Variables that are already
    # set win over the file. `flask run` reads .env by itself too, but gunicorn
    # and plain `python` do not, so we ask for it here.
    load_dotenv()
    # Each setting from the environment, or else its default.
    return {
        name: os.environ.get(name, value) for name, value in DEFAULT_SETTINGS.items()
    }


def connection_options(config) -> dict:
    """The arguments for mysql.connector.connect(), from the app's settings."""
    return {
        "host": config["MYSQL_HOST"],
        "port": int(config["MYSQL_PORT"]),
        "user": config["MYSQL_USER"],
        "password": config["MYSQL_PASSWORD"],
        "database": config["MYSQL_DATABASE"],
        "charset": "utf8mb4",  # full UTF-8 on the wire, emoji included
        "collation": "utf8mb4_unicode_ci",
        "time_zone": "+00:00",  # TIMESTAMP columns come back in UTC
        "autocommit": False,  # nothing is saved until we commit
        "connection_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": QUERY_TIMEOUT_SECONDS,  # waiting for an answer
        "write_timeout": QUERY_TIMEOUT_SECONDS,  # sending a query
        "use_pure": True,  # the pure-Python driver: the same on every machine
    }


def pooled_connection(size: int):
    """A connection from this app's pool, which is made on first use.

    The pool opens `size` connections once and lends them out; `close()` gives
    one back (and resets its session) instead of hanging up. A connection that
    died meanwhile (the server restarted) is reconnected when lent again.
    """
    with POOL_LOCK:
        pool = current_app.extensions.get("mysql_pool")
        if pool is None:
            pool = mysql.connector.pooling.MySQLConnectionPool(
                pool_size=size, **connection_options(current_app.config)
            )
            current_app.extensions["mysql_pool"] = pool
    return pool.get_connection()


def get_db():
    """This request's connection to the database, opened on first use."""
    if "db" not in g:
        config = current_app.config
        pool_size = int(config.get("MYSQL_POOL_SIZE") or 0)
        try:
            if pool_size > 0:
                g.db = pooled_connection(pool_size)
            else:
                g.db = mysql.connector.connect(**connection_options(config))
        except mysql.connector.Error as error:
            # Stopped server, wrong password, unknown database, an empty pool:
            # all mean "no database for now". The message is for the log.
            where = f"{config['MYSQL_HOST']}:{config['MYSQL_PORT']}"
            raise DatabaseUnavailable(f"cannot connect to {where}: {error}") from None
    return g.db


def close_db(error: BaseException | None = None) -> None:
    """Close this request's connection, if it opened one (Flask calls this)."""
    db = g.pop("db", None)
    if db is not None:
        # An unfinished transaction is rolled back by the server when its
        # connection closes, so a request that failed half way saves nothing.
        db.close()


@contextlib.contextmanager
def transaction() -> Iterator:
    """A cursor for statements that are saved together, or not at all.

    Use it as `with transaction() as cursor:`. When the block ends normally,
    everything it did is committed; when it raises, everything is rolled back.
    """
    db = get_db()
    cursor = db.cursor(dictionary=True)  # rows as {"id": 1, "title": ...}
    try:
        yield cursor
        db.commit()  # every statement of the block is saved, at once
    except Exception:
        # Anything went wrong (a duplicate isbn, a bug, a lost connection):
        # undo every statement of the block, then let the error go on.
        with contextlib.suppress(mysql.connector.Error):
            db.rollback()  # fails only when the connection is already gone
        raise
    finally:
        cursor.close()
