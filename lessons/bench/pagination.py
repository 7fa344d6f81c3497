"""Benchmark `pagination`: deep OFFSET pages against keyset (`after_id`) pages.

A process in the step 05 folder serves each URL through the app's test client
and notes the SQL it sends; those statements are then timed on the database
itself (ABOUT says what is compared).
"""

import json
import os
import statistics
import time
from dataclasses import dataclass

from lessons import database
from lessons.bench.books import BUFFER_POOL_MB, CHUNK, STEP_FOLDER, database_with_books
from lessons.bench.common import (
    BenchmarkUnavailable,
    Check,
    Section,
    database_version,
    markdown_table,
    milliseconds,
    times,
)
from lessons.processes import run_python

BOOKS = 1_000_000
PAGES = (1, 100, 1000, 10000)
PER_PAGE = 20  # the app's default page size
SQL_RUNS = 21  # each SQL latency is the median of this many runs (they are quick)
APP_RUNS = 7  # each whole-request latency is the median of this many
KEYSET_LIMIT = 1.5  # target: keyset at the deepest page within 1.5× of page 1
OFFSET_SLOWER = 10  # target: OFFSET at the deepest page at least 10× page 1

ABOUT = """\
`GET /books?page=N` skips the rows before page N with `LIMIT 20 OFFSET (N-1)×20`:
the database still reads every skipped row, so deep pages get slower and slower.
`GET /books?after_id=M` asks for `WHERE id > M ORDER BY id LIMIT 21`: the primary
key's index jumps straight to M, at any depth. Here both run on 1,000,000
generated books, at the same depths (M = (N - 1) × 20, the same 20 books), on a
throwaway MariaDB/MySQL server started for the benchmark."""


def record_app_requests(urls: list[str], runs: int) -> None:
    """Serve each URL with step 05's test client; print its SQL and timings as JSON.

    It runs in a fresh process in the step folder: one step's `app` per process.
    """
    from mysql.connector.connection import MySQLConnection

    from app import create_app  # step 05's app.py: the current folder

    # Every text SQL statement goes through cmd_query(), values already filled
    # in: we wrap it to note each one, then let it do its work unchanged.
    sent: list[str] = []
    send = MySQLConnection.cmd_query

    def cmd_query_noting_sql(self, query, *args, **kwargs):
        sent.append(query.decode() if isinstance(query, bytes) else query)
        return send(self, query, *args, **kwargs)

    MySQLConnection.cmd_query = cmd_query_noting_sql
    client = create_app().test_client()
    report = {}
    for url in urls:
        sent.clear()
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status}")
        report[url] = {
            "items": len(response.get_json()["items"]),
            "statements": [sql for sql in sent if "FROM books" in sql],
            "seconds": [],
        }
    for _ in range(runs):  # the URLs take turns
        for url in urls:
            started = time.perf_counter()
            client.get(url)
            report[url]["seconds"].append(time.perf_counter() - started)
    print(json.dumps(report))


def app_requests(settings: dict[str, str], urls: list[str], runs: int) -> dict:
    """Run record_app_requests in the step 05 folder on the database `settings`."""
    if not (STEP_FOLDER / "app.py").exists():
        raise BenchmarkUnavailable(f"{STEP_FOLDER.name}/app.py does not exist yet")
    program = (
        "import sys\nfrom lessons.bench.pagination import record_app_requests\n"
        "record_app_requests(sys.argv[1:-1], int(sys.argv[-1]))\n"
    )
    # MYSQL_POOL_SIZE=0: a connection per request, whatever a .env says.
    environment = {**os.environ, **settings, "MYSQL_POOL_SIZE": "0"}
    try:
        output = run_python(program, STEP_FOLDER, environment, *urls, str(runs))
    except RuntimeError as error:
        message = f"step 05's app could not serve the pages: {error}"
        raise BenchmarkUnavailable(message) from None
    return json.loads(output.splitlines()[-1])


def time_statements(
    settings: dict[str, str], statements: list[str], runs: int
) -> dict[str, float]:
    """The median seconds of each statement over `runs` runs, rows read in full.

    The statements take turns, so a busy moment of the machine hits all alike;
    round 0 warms the caches and is not counted.
    """
    seconds: dict[str, list[float]] = {sql: [] for sql in statements}
    with database.connect(settings) as connection, connection.cursor() as cursor:
        for round_number in range(runs + 1):
            for sql in statements:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                if round_number > 0:
                    seconds[sql].append(time.perf_counter() - started)
    return {sql: statistics.median(values) for sql, values in seconds.items()}


def explain(settings: dict[str, str], sql: str) -> tuple[list[str], list[list[str]]]:
    """The database's plan for `sql`: EXPLAIN's column names and rows, as text."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        # The statement is one the app itself sent (recorded above), not text
        # from outside; EXPLAIN cannot take it as a %s value.
        cursor.execute("EXPLAIN " + sql)
        rows = cursor.fetchall()
        names = [column[0] for column in cursor.description]
    return names, [["" if value is None else str(value) for value in r] for r in rows]


def page_urls(page: int) -> tuple[str, str]:
    """The OFFSET URL of a page and the keyset URL of the same 20 books."""
    return f"/books?page={page}", f"/books?after_id={(page - 1) * PER_PAGE}"


def statement(statements: list[str], counting: bool) -> str:
    """The COUNT(*) for `total` (counting) or the query that reads the rows."""
    for sql in statements:
        if ("COUNT(" in sql.upper()) == counting:
            return sql
    wanted = "COUNT(*) for total" if counting else "row query"
    raise BenchmarkUnavailable(f"the app sent no {wanted}: {statements}")


@dataclass
class Paging:
    """What the pagination benchmark measured (seconds are medians)."""

    pages: tuple[int, ...]
    offset_sql: dict[int, str]  # page -> the row query of ?page=N
    keyset_sql: dict[int, str]  # page -> the row query of ?after_id=M
    count_sql: str  # the COUNT(*) that ?page=N also sends, for `total`
    sql_seconds: dict[str, float]  # statement -> seconds
    app_seconds: dict[str, float]  # URL -> seconds for the whole request
    items: dict[str, int]  # URL -> how many books the answer held
    plans: dict[str, tuple[list[str], list[list[str]]]]  # "offset"/"keyset" -> EXPLAIN

    def offset(self, page: int) -> float:
        return self.sql_seconds[self.offset_sql[page]]

    def keyset(self, page: int) -> float:
        return self.sql_seconds[self.keyset_sql[page]]


def measure(
    settings: dict[str, str],
    pages: tuple[int, ...] = PAGES,
    sql_runs: int = SQL_RUNS,
    app_runs: int = APP_RUNS,
) -> Paging:
    """Ask the app for every page both ways, then time its SQL; books must exist."""
    urls = [url for page in pages for url in page_urls(page)]
    app = app_requests(settings, urls, app_runs)
    offset_sql, keyset_sql = {}, {}
    for page in pages:
        offset_url, keyset_url = page_urls(page)
        offset_sql[page] = statement(app[offset_url]["statements"], False)
        keyset_sql[page] = statement(app[keyset_url]["statements"], False)
    count_sql = statement(app[page_urls(pages[0])[0]]["statements"], True)
    statements = [*offset_sql.values(), *keyset_sql.values(), count_sql]
    deepest = pages[-1]
    return Paging(
        pages=pages,
        offset_sql=offset_sql,
        keyset_sql=keyset_sql,
        count_sql=count_sql,
        sql_seconds=time_statements(settings, statements, sql_runs),
        app_seconds={url: statistics.median(app[url]["seconds"]) for url in urls},
        items={url: app[url]["items"] for url in urls},
        plans={
            "offset": explain(settings, offset_sql[deepest]),
            "keyset": explain(settings, keyset_sql[deepest]),
        },
    )


def tables(paging: Paging) -> list[str]:
    """The row queries, the whole requests, and both plans at the deepest page."""
    first, deepest = paging.pages[0], paging.pages[-1]
    sql_rows, app_rows = [], []
    for page in paging.pages:
        offset, keyset = paging.offset(page), paging.keyset(page)
        sql_rows.append([
            f"{page:,}", f"{(page - 1) * PER_PAGE:,}",
            milliseconds(offset), times(offset / paging.offset(first)),
            milliseconds(keyset), times(keyset / paging.keyset(first)),
            times(offset / keyset),
        ])  # fmt: skip
        offset_url, keyset_url = page_urls(page)
        offset, keyset = paging.app_seconds[offset_url], paging.app_seconds[keyset_url]
        app_rows.append([
            f"`{offset_url}`", milliseconds(offset),
            f"`{keyset_url}`", milliseconds(keyset), times(offset / keyset),
        ])  # fmt: skip
    sql_headers = ["page", "rows before it", "OFFSET", "OFFSET ÷ page 1"]
    sql_headers += ["keyset", "keyset ÷ page 1", "OFFSET ÷ keyset"]
    app_headers = ["OFFSET request", "time", "keyset request", "time"]
    app_headers.append("OFFSET ÷ keyset")
    offset_plan = markdown_table(*paging.plans["offset"])
    keyset_plan = markdown_table(*paging.plans["keyset"])
    return [
        "Row queries (the SQL the app sends, timed on the database):\n\n"
        + markdown_table(sql_headers, sql_rows, align="rrrrrrr"),
        "Whole requests through the app (Flask test client, no network; "
        "OFFSET requests include the COUNT(*)):\n\n"
        + markdown_table(app_headers, app_rows, align="lrlrr"),
        f"`EXPLAIN` of the OFFSET query at page {deepest:,}:\n\n"
        f"```sql\n{paging.offset_sql[deepest]}\n```\n\n{offset_plan}",
        "`EXPLAIN` of the keyset query at the same depth:\n\n"
        f"```sql\n{paging.keyset_sql[deepest]}\n```\n\n{keyset_plan}",
    ]


def describe(paging: Paging, books: int, generation: float, parts: dict) -> Section:
    """Turn the measurements into the section of the page, with the two targets."""
    first, deepest = paging.pages[0], paging.pages[-1]
    keyset_ratio = paging.keyset(deepest) / paging.keyset(first)
    offset_ratio = paging.offset(deepest) / paging.offset(first)
    checks = [
        Check(
            f"keyset page {deepest:,} within {KEYSET_LIMIT}× of page {first}",
            keyset_ratio <= KEYSET_LIMIT,
            times(keyset_ratio),
        ),
        Check(
            f"OFFSET page {deepest:,} at least {OFFSET_SLOWER}× slower than page "
            f"{first}",
            offset_ratio >= OFFSET_SLOWER,
            times(offset_ratio),
        ),
    ]
    count = paging.sql_seconds[paging.count_sql]
    notes = [
        f"{books:,} books generated in {generation:.1f} s with `INSERT ... SELECT` "
        f"from a cross join of a 10-row digits table, {CHUNK:,} rows per statement.",
        "The first table times the SQL that step 05's app sends for each URL, "
        "recorded while its test client served that URL, run again directly on "
        f"the database: the median of {SQL_RUNS} runs, the rows read in full. "
        f"Whole requests: the median of {APP_RUNS}.",
        f"An OFFSET page also runs `{paging.count_sql}` for `total` and "
        f"`X-Total-Count`: {milliseconds(count)}, at every depth. It is left out "
        "of the first table because it would hide the difference; the second "
        "table includes it.",
        "`EXPLAIN` says why: the OFFSET query walks the primary key from the start "
        "(type `index`, rows = every row up to the end of the page), the keyset "
        "query starts inside it (type `range`: its rows figure estimates all the "
        "ids above M, but LIMIT stops the read after 21).",
        "Through the app, every request also opens a new database connection "
        "(MYSQL_POOL_SIZE=0, as in step 04); the `pool` benchmark shows what "
        "that costs.",
        f"The server gets {BUFFER_POOL_MB} MB of memory for table data "
        "(innodb-buffer-pool-size), enough to hold every book, as a real server "
        "would: the numbers then show the work each query does, not disk reads.",
    ]
    title = f"Pagination: OFFSET vs keyset on {books:,} books"
    return Section("pagination", title, ABOUT, tables(paging), notes, checks, parts)


def run(books: int = BOOKS, pages: tuple[int, ...] = PAGES) -> Section:
    """Start a throwaway server, generate the books, measure, stop the server."""
    with database_with_books(books) as (settings, generation):
        paging = measure(settings, pages)
        parts = database_version(settings)
    return describe(paging, books, generation, parts)
