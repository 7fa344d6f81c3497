"""Benchmark `pagination`: deep OFFSET pages against keyset (`after_id`) pages.

On a throwaway database server with step 05's schema and generated books, step
05's app serves each URL through its test client, in a process of its own, and
notes the SQL it sends. That SQL is then timed on the database itself, and the
deepest pages' queries are EXPLAINed.
"""

import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass

from lessons import database
from lessons.bench import common
from lessons.processes import run_python
from lessons.throwaway import temporary_server

BOOKS = 1_000_000
PAGES = (1, 100, 1000, 10000)
PER_PAGE = 20  # the app's default page size
SQL_RUNS = 21  # each SQL latency is the median of this many runs (they are quick)
APP_RUNS = 7  # each whole-request latency is the median of this many
KEYSET_LIMIT = 1.5  # target: keyset at the deepest page within 1.5× of page 1
OFFSET_SLOWER = 10  # target: OFFSET at the deepest page at least 10× page 1
CHUNK = 100_000  # books per INSERT statement
# The throwaway servers get 16 MB of cache, plenty for the lessons. A million
# books take about 120 MB: with 16 MB every query would evict the pages the next
# one needs, and we would time the cache, not the query.
BIG_CACHE = ("--innodb-buffer-pool-size=256M",)
# Ten rows, 0 to 9. Joined with itself five times it makes every number from 0
# to 99,999: many rows made inside the database, none sent one by one.
DIGITS = "CREATE TABLE bench_digits (d TINYINT UNSIGNED NOT NULL PRIMARY KEY)"
FILL_DIGITS = "INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)"
# The books with ids from %s up to (not including) %s. Setting id ourselves
# keeps the ids 1, 2, 3... without gaps (AUTO_INCREMENT may skip values between
# statements), so after_id = (N - 1) × 20 starts exactly where page N does.
INSERT_BOOKS = """\
INSERT INTO books (id, title, author, year, isbn, price)
SELECT n, CONCAT('Generated book ', n), CONCAT('Author ', n % 1000), 1900 + n % 125,
       CONCAT('978', LPAD(n, 10, '0')), (n % 10000) / 100
FROM (
    SELECT %s + a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d AS n
    FROM bench_digits AS a, bench_digits AS b, bench_digits AS c,
         bench_digits AS d, bench_digits AS e
) AS numbers
WHERE n < %s"""
# Runs in the step 05 folder: serves each URL (the arguments; the last one is
# how many timed runs) with the app's test client and prints, as JSON, per URL
# the books it answered, the SQL it sent and the seconds of each run.
APP_PROGRAM = """\
import json, sys, time
from mysql.connector.connection import MySQLConnection
from app import create_app

# Every text SQL statement goes through cmd_query(), its values filled in:
# we wrap it to note each one, then let it do its work unchanged.
sent, send = [], MySQLConnection.cmd_query
def cmd_query_noting_sql(self, query, *args, **kwargs):
    sent.append(query.decode() if isinstance(query, bytes) else query)
    return send(self, query, *args, **kwargs)
MySQLConnection.cmd_query = cmd_query_noting_sql

client = create_app().test_client()
urls, runs, report = sys.argv[1:-1], int(sys.argv[-1]), {}
for url in urls:
    sent.clear()
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status}"
    books = len(response.get_json()["items"])
    sql = [s for s in sent if "FROM books" in s]
    report[url] = {"books": books, "sql": sql, "seconds": []}
for _ in range(runs):  # the URLs take turns
    for url in urls:
        started = time.perf_counter()
        client.get(url)
        report[url]["seconds"].append(time.perf_counter() - started)
print(json.dumps(report))
"""


@contextlib.contextmanager
def database_with_books(count: int, chunk: int = CHUNK):
    """(MYSQL_* settings, seconds the books took) of a new server with `count`
    books (ids 1 to count), for the `with` block; stopped and deleted after it."""
    with temporary_server(prefix="lessons-bench-mysql-", options=BIG_CACHE) as server:
        settings = server.settings
        schema = (common.STEP05 / "schema.sql").read_text(encoding="utf-8")
        database.load_schema(settings, schema)
        started = time.perf_counter()
        with database.connect(settings) as connection, connection.cursor() as cursor:
            cursor.execute(DIGITS)
            cursor.execute(FILL_DIGITS)
            for first in range(1, count + 1, chunk):
                end = min(first + chunk, count + 1)
                if count > chunk:  # a million rows take a while: say how far we are
                    print(f"  books {first:,} to {end - 1:,} of {count:,}", flush=True)
                cursor.execute(INSERT_BOOKS, (first, end))
                connection.commit()  # a transaction per chunk: a smaller undo log
            cursor.execute("DROP TABLE bench_digits")
            # Fresh statistics, so EXPLAIN's row estimates describe the new table.
            cursor.execute("ANALYZE TABLE books")
            cursor.fetchall()
        yield settings, time.perf_counter() - started


def database_version(settings: dict[str, str]) -> dict[str, str]:
    """{"MariaDB": "10.11.6"} (or MySQL) for the machine line."""
    [(version,)] = database.run_admin(settings, "SELECT VERSION()")
    name = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    return {name: version.split("-")[0]}  # "10.11.6-MariaDB-0+deb12u1": 10.11.6


@dataclass
class Query:
    """The row query (or the COUNT) the app sent to answer `url`, the books in
    the answer, and the median seconds of the request and of the query alone."""

    url: str
    sql: str
    books: int
    request_seconds: float
    sql_seconds: float = 0.0


def measure(settings, pages=PAGES, sql_runs=SQL_RUNS, app_runs=APP_RUNS) -> tuple:
    """Ask step 05's app for each page both ways, then time the SQL it sent:
    {page: Query} for OFFSET and for keyset, and the COUNT(*) for `total`."""
    offset_urls = {page: f"/books?page={page}" for page in pages}
    keyset_urls = {page: f"/books?after_id={(page - 1) * PER_PAGE}" for page in pages}
    # MYSQL_POOL_SIZE=0: a connection per request, whatever a .env says.
    environment = {**os.environ, **settings, "MYSQL_POOL_SIZE": "0"}
    arguments = [*offset_urls.values(), *keyset_urls.values(), str(app_runs)]
    requests = 2 * len(pages)  # each page, both ways
    print(f"  {requests} requests through the app, {app_runs} times each", flush=True)
    output = run_python(APP_PROGRAM, common.STEP05, environment, *arguments)
    report = json.loads(output.splitlines()[-1])

    def query(url: str, counting: bool = False) -> Query:
        sent = [sql for sql in report[url]["sql"] if ("COUNT(" in sql) == counting]
        seconds = statistics.median(report[url]["seconds"])
        return Query(url, sent[0], report[url]["books"], seconds)

    offset = {page: query(url) for page, url in offset_urls.items()}
    keyset = {page: query(url) for page, url in keyset_urls.items()}
    count = query(offset_urls[pages[0]], counting=True)
    queries = [*offset.values(), *keyset.values(), count]
    seconds = {query.sql: [] for query in queries}
    with database.connect(settings) as connection, connection.cursor() as cursor:
        for round_number in range(sql_runs + 1):  # taking turns; 0 warms the cache
            print(f"  the SQL: round {round_number + 1} of {sql_runs + 1}", flush=True)
            for sql in seconds:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()  # the rows read in full
                if round_number > 0:
                    seconds[sql].append(time.perf_counter() - started)
    for query in queries:
        query.sql_seconds = statistics.median(seconds[query.sql])
    return offset, keyset, count


def describe(settings, offset, keyset, count: Query, notes) -> common.Result:
    """The tables ({page: Query} `offset` and `keyset`), both plans at the deepest
    page, the notes and the targets."""
    first, deepest = min(offset), max(offset)
    sql_rows, request_rows = [], []
    for page in offset:
        by_offset, by_keyset = offset[page], keyset[page]
        row = [f"{page:,}", f"{(page - 1) * PER_PAGE:,}"]
        row += common.against(by_offset.sql_seconds, offset[first].sql_seconds)
        row += common.against(by_keyset.sql_seconds, keyset[first].sql_seconds)
        row.append(common.times(by_offset.sql_seconds / by_keyset.sql_seconds))
        sql_rows.append(row)
        row = [f"`{by_offset.url}`", common.milliseconds(by_offset.request_seconds)]
        row += [f"`{by_keyset.url}`", common.milliseconds(by_keyset.request_seconds)]
        row.append(common.times(by_offset.request_seconds / by_keyset.request_seconds))
        request_rows.append(row)
    headers = ["page", "rows before it", "OFFSET", "OFFSET ÷ page 1", "keyset"]
    headers += ["keyset ÷ page 1", "OFFSET ÷ keyset"]
    tables = ["Row queries (the SQL the app sends, timed on the database):"]
    tables.append(common.table(headers, sql_rows, "rrrrrrr"))
    tables.append(
        "Whole requests through the app (Flask test client, no network; "
        "OFFSET requests include the COUNT(*)):"
    )
    headers = ["OFFSET request", "time", "keyset request", "time", "OFFSET ÷ keyset"]
    tables.append(common.table(headers, request_rows, "lrlrr"))
    with database.connect(settings) as connection, connection.cursor() as cursor:
        for way, query in (("OFFSET", offset[deepest]), ("keyset", keyset[deepest])):
            # The statement is one the app itself sent (recorded above), not
            # text from outside; EXPLAIN cannot take it as a %s value.
            cursor.execute("EXPLAIN " + query.sql)
            columns = [column[0] for column in cursor.description]
            plan = common.table(columns, cursor.fetchall())
            tables.append(f"`EXPLAIN` of the {way} query at page {deepest:,}:")
            tables.append(f"```sql\n{query.sql}\n```\n\n{plan}")
    seconds = common.milliseconds(count.sql_seconds)
    counting = f"An OFFSET page also runs `{count.sql}`: {seconds}, at every depth."
    keyset_ratio = keyset[deepest].sql_seconds / keyset[first].sql_seconds
    target = f"keyset page {deepest:,} within {KEYSET_LIMIT}× of page {first}"
    passed = keyset_ratio <= KEYSET_LIMIT
    checks = [common.Check(target, passed, common.times(keyset_ratio))]
    offset_ratio = offset[deepest].sql_seconds / offset[first].sql_seconds
    target = (
        f"OFFSET page {deepest:,} at least {OFFSET_SLOWER}× slower than page {first}"
    )
    passed = offset_ratio >= OFFSET_SLOWER
    checks.append(common.Check(target, passed, common.times(offset_ratio)))
    text = common.measured_text(tables, [*notes, counting], database_version(settings))
    return common.Result({"pagination": text}, checks)


def run() -> common.Result:
    """Start a throwaway server, generate the books, measure, stop the server."""
    with database_with_books(BOOKS) as (settings, generation):
        offset, keyset, count = measure(settings)
        notes = [
            f"{BOOKS:,} books generated in {generation:.1f} s with `INSERT ... "
            "SELECT` from a cross join of a 10-row digits table, "
            f"{CHUNK:,} rows per statement.",
            f"Row queries: the median of {SQL_RUNS} runs, the rows read in full. "
            f"Whole requests: the median of {APP_RUNS}.",
        ]
        return describe(settings, offset, keyset, count, notes)
