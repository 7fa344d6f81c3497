"""A throwaway database full of generated books, for `pagination` and `pool`.

A server of its own in a temporary folder (no one's data is ever touched), with
step 05's schema.sql. The books are made inside the database with `INSERT ...
SELECT`, so a million rows take seconds, not the minutes of a Python loop.
"""

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from lessons import database
from lessons.bench.common import BenchmarkUnavailable
from lessons.steps import ROOT
from lessons.throwaway import ThrowawayServer

STEP_FOLDER = ROOT / "05_cors_pagination"
CHUNK = 100_000  # rows per INSERT statement
BUFFER_POOL_MB = 256  # the server's cache for table data: a million books fit

# Ten rows, 0 to 9. Joined with itself five times it makes every number from 0
# to 99,999: a quick way to make many rows inside the database, with no Python
# loop sending them one by one.
CREATE_DIGITS = "CREATE TABLE bench_digits (d TINYINT UNSIGNED NOT NULL PRIMARY KEY)"
FILL_DIGITS = (
    "INSERT INTO bench_digits (d) VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)"
)
# The books with ids from %s up to (not including) %s, at most 100,000 at a time.
# Setting id ourselves keeps the ids 1, 2, 3... without gaps (AUTO_INCREMENT may
# skip values between statements), so after_id = (page - 1) × 20 starts exactly
# where page `page` starts.
INSERT_BOOKS = """\
INSERT INTO books (id, title, author, year, isbn, price)
SELECT n, CONCAT('Generated book ', n), CONCAT('Author ', n % 1000), 1900 + n % 125,
       CONCAT('978', LPAD(n, 10, '0')), (n % 10000) / 100
FROM (
    SELECT %s + ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d
           + 10000 * ten_thousands.d AS n
    FROM bench_digits AS ones, bench_digits AS tens, bench_digits AS hundreds,
         bench_digits AS thousands, bench_digits AS ten_thousands
) AS numbers
WHERE n < %s"""


# The throwaway servers get 16 MB of cache, plenty for the lessons. The books
# here take about 120 MB; with 16 MB every query would evict the pages the next
# one needs, and we would time the cache, not the query.
BIG_CACHE = (f"--innodb-buffer-pool-size={BUFFER_POOL_MB}M",)


def generate_books(settings: dict[str, str], count: int) -> float:
    """Insert `count` books with ids 1..count; return the seconds it took."""
    started = time.perf_counter()
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(CREATE_DIGITS)
        cursor.execute(FILL_DIGITS)
        for first_id in range(1, count + 1, CHUNK):
            end = min(first_id + CHUNK, count + 1)
            if count > CHUNK:  # a million rows take a while: say how far we are
                print(f"  books {first_id:,} to {end - 1:,} of {count:,}", flush=True)
            cursor.execute(INSERT_BOOKS, (first_id, end))
            connection.commit()  # one transaction per chunk: a smaller undo log
        cursor.execute("DROP TABLE bench_digits")
        # Fresh statistics, so EXPLAIN's row estimates describe the new table.
        cursor.execute("ANALYZE TABLE books")
        cursor.fetchall()
    return time.perf_counter() - started


@contextlib.contextmanager
def database_with_books(count: int) -> Iterator[tuple[dict[str, str], float]]:
    """(MYSQL_* settings, seconds the books took) of a fresh server with `count`
    books, for the `with` block; stopped and deleted after it."""
    schema = STEP_FOLDER / "schema.sql"
    if not schema.exists():
        raise BenchmarkUnavailable(f"{STEP_FOLDER.name}/schema.sql does not exist")
    folder = Path(tempfile.mkdtemp(prefix="lessons-bench-mysql-"))
    server = ThrowawayServer(folder, options=BIG_CACHE)
    try:
        settings = server.start()
        database.load_schema(settings, schema.read_text(encoding="utf-8"))
        yield settings, generate_books(settings, count)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
