"""The benchmark code (lessons/bench/), run on tiny sizes: correctness, not speed.

Every benchmark here runs for real (real servers, a real database, fresh Python
processes), only shorter and smaller than `lessons bench` runs it. Nothing here
asserts how fast anything is: a busy machine must not fail these tests.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lessons import database
from lessons.bench import (
    books,
    boot,
    load,
    main,
    page_text,
    pagination,
    pool,
    servers,
)
from lessons.bench.common import (
    Check,
    Section,
    markdown_table,
    milliseconds,
    percentile,
    times,
)
from lessons.processes import free_port, running
from lessons.pytest_plugin import require_part

STEP05 = books.STEP_FOLDER


# --------------------------------------------------------------------------
# Statistics and formatting
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([1, 2, 3, 4], 50, 2),  # nearest rank: ceil(0.5 × 4) = the 2nd value
        ([4, 3, 2, 1], 50, 2),  # the order they came in does not matter
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 100, 100),
        (list(range(1, 11)), 99, 10),  # ten values: p99 is the slowest one
        ([5], 99, 5),
    ],
)
def test_percentile_is_a_value_that_was_really_measured(values, percent, expected):
    assert percentile(values, percent) == expected


@pytest.mark.parametrize("percent", [0, -1, 101])
def test_a_percentile_outside_0_to_100_is_refused(percent):
    with pytest.raises(ValueError, match="percent"):
        percentile([1, 2, 3], percent)


def test_no_values_have_no_percentile():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.000214, "0.21 ms"), (0.0123, "12.3 ms"), (1.2344, "1,234 ms")],
)
def test_milliseconds_keep_three_significant_figures_or_so(seconds, shown):
    assert milliseconds(seconds) == shown


@pytest.mark.parametrize(
    ("ratio", "shown"), [(1.0, "1.00×"), (2.654, "2.65×"), (39.04, "39.0×")]
)
def test_ratios_are_shown_as_times(ratio, shown):
    assert times(ratio) == shown


def test_a_table_is_markdown_with_numbers_aligned_right():
    table = markdown_table(["server", "requests/s"], [["a", "1"], ["b|c", "22"]], "lr")
    assert table.splitlines() == [
        "| server | requests/s |",
        "| --- | ---: |",
        "| a | 1 |",
        "| b\\|c | 22 |",  # a | inside a cell must not start a new column
    ]


@pytest.mark.parametrize(
    ("rows", "align"), [([["only one cell"]], ""), ([["a", "b"]], "lx")]
)
def test_a_table_refuses_rows_or_alignments_that_do_not_fit(rows, align):
    with pytest.raises(ValueError):
        markdown_table(["one", "two"], rows, align)


# --------------------------------------------------------------------------
# The load generators and the servers benchmark
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contenders():
    """Every server of the `servers` benchmark, running; {label: port}."""
    racers = servers.contenders()
    with contextlib.ExitStack() as started:
        for command, port, env in racers.values():
            log = Path(os.devnull)
            started.enter_context(
                running(command, port, log=log, cwd=servers.STEP_FOLDER, env=env)
            )
        yield {label: port for label, (_command, port, _env) in racers.items()}


@pytest.mark.parametrize(
    "label",
    [
        servers.STEP01,
        servers.WSGIREF,
        servers.GUNICORN,
        servers.GTHREAD,
        servers.INSTANT,
    ],
)
def test_the_built_in_generator_counts_every_answer(contenders, label):
    result = load.python_load(
        contenders[label], servers.PATH, concurrency=4, total_requests=300
    )
    assert result.requests == 300
    assert result.statuses == {200: 300}
    assert result.failures == 0
    assert 0 < result.p50 <= result.p99
    assert result.per_second > 0


def test_the_built_in_generator_can_run_for_a_duration(contenders):
    result = load.python_load(
        contenders[servers.STEP01], servers.PATH, concurrency=2, duration=0.3
    )
    assert result.requests > 0
    assert set(result.statuses) == {200}


def test_the_generator_counts_answers_that_are_not_2xx_as_failures(contenders):
    result = load.python_load(
        contenders[servers.STEP01], "/no-such-page", concurrency=2, total_requests=10
    )
    assert result.statuses == {404: 10}
    assert result.failures == 10


@pytest.mark.parametrize(("duration", "count"), [(None, None), (1.0, 10)])
def test_the_generator_needs_a_duration_or_a_count(duration, count):
    with pytest.raises(ValueError, match="duration or total_requests"):
        load.python_load(1, "/", 1, duration=duration, total_requests=count)


def test_wrk_output_is_read_with_its_units():
    # What `wrk --latency -t1 -c1 -d2s` printed against wsgiref on this machine.
    output = """\
Running 2s test @ http://127.0.0.1:18081/hello?name=bench
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   308.22us  332.66us   5.82ms   95.30%
    Req/Sec     3.16k   463.84     4.17k    71.43%
  Latency Distribution
     50%  241.00us
     75%  299.00us
     90%  382.00us
     99%    1.84ms
  6594 requests in 2.10s, 1.34MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3140.35
Transfer/sec:    653.22KB
"""
    result = load.parse_wrk(output)
    assert result.requests == 6594
    assert result.seconds == pytest.approx(2.10)
    assert result.p50 == pytest.approx(241e-6)
    assert result.p99 == pytest.approx(1.84e-3)
    assert result.failures == 2 + 1 + 4


def test_wrk_measures_step_01s_server(contenders):
    wrk = require_part("wrk")  # skipped without it; under CI=true a failure
    result = load.wrk_load(wrk, contenders[servers.STEP01], servers.PATH, 2, 0.5)
    assert result.requests > 0
    assert result.failures == 0


@pytest.mark.parametrize("use_wrk", [False, True], ids=["built-in", "wrk"])
def test_the_servers_benchmark_compares_every_server_at_1_and_8(use_wrk):
    if use_wrk:
        require_part("wrk")  # skipped without it; under CI=true a failure
    section = servers.run(duration=0.2, rounds=1, use_wrk=use_wrk)
    table_lines = section.tables[0].splitlines()
    # header, rule, then every server at 1 and at 8 connections; step 01's
    # --workers row only when its server.py has that option.
    labels = [servers.STEP01, servers.WSGIREF, servers.GUNICORN, servers.GTHREAD]
    labels += [servers.INSTANT]
    if servers.has_workers_option():
        labels.append(servers.STEP01_WORKERS)
    assert len(table_lines) == 2 + 2 * len(labels)
    for label in labels:
        assert sum(f"| {label} |" in line for line in table_lines) == 2, label
    assert [check.target for check in section.checks] == [
        "step 01's server at least as fast as wsgiref with 1 connection",
        "step 01's server faster than wsgiref with 8 connections",
    ]
    assert ("wrk" in section.parts) == use_wrk


# --------------------------------------------------------------------------
# boot, pycache, and the command
# --------------------------------------------------------------------------


def test_main_times_every_step_and_create_app_only_where_there_is_one(
    capsys, monkeypatch
):
    monkeypatch.setattr(boot, "RUNS", 1)  # the sizes of a test, not of the page
    assert main(["boot"], write=False) == 0
    printed = capsys.readouterr().out
    assert "| step | `import app` | `create_app()` |" in printed
    for step in boot.steps_with_an_app():
        [row] = [line for line in printed.splitlines() if f"`{step.name}`" in line]
        has_factory = "def create_app" in (step.path / "app.py").read_text()
        assert ("built by the import" not in row) == has_factory, row
    assert "`boot` finishes in under 2 minutes" in printed
    # Flask vs Django: each one-file app imported and answering its first request
    for framework in ("Flask", "Django"):
        [row] = [line for line in printed.splitlines() if f"| {framework} |" in line]
        assert row.endswith("MiB |"), row


def test_an_unknown_benchmark_is_a_usage_error(capsys):
    assert main(["boot", "warp-speed"], write=False) == 2
    assert "no benchmark called 'warp-speed'" in capsys.readouterr().err


def test_write_refuses_to_mix_runs_and_leaves_the_page_alone(capsys):
    page = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    before = page.read_bytes() if page.exists() else None
    assert main(["boot"], write=True) == 2
    assert "runs every benchmark" in capsys.readouterr().err
    assert (page.read_bytes() if page.exists() else None) == before


def test_python_dash_m_lessons_bench_is_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "lessons.bench", "nonsense"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "the benchmarks are: servers, boot, pycache, pagination, pool" in (
        result.stderr
    )


def test_the_page_has_how_to_run_every_section_and_the_targets():
    table = markdown_table(["step", "time"], [["01", "1.0 ms"]])
    section = Section("boot", "Start-up", "What it measures.", [table])
    section.checks.append(Check("a target that was missed", False, "2.00×"))
    text = page_text([section], section.checks)
    assert text.startswith("# Benchmarks\n")
    assert "lessons bench --write" in text
    assert section.tables[0] in text
    assert "| a target that was missed | 2.00× | **FAIL** |" in text
    assert "0 of 1 targets met" in text


# --------------------------------------------------------------------------
# pagination and pool, on the test session's database
# --------------------------------------------------------------------------


@pytest.fixture
def books_database(mysql_database):
    """A fresh database with step 05's schema: MYSQL_* settings."""
    return mysql_database(STEP05 / "schema.sql")


def rows_of(settings, sql, params=()):
    """Rows of a query on the test database."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.mysql
@pytest.mark.parametrize("count", [1, 2000, 100_001])
def test_generated_books_have_ids_1_to_count_without_gaps(books_database, count):
    books.generate_books(books_database, count)
    sql = "SELECT COUNT(*), MIN(id), MAX(id), COUNT(DISTINCT isbn) FROM books"
    assert rows_of(books_database, sql) == [(count, 1, count, count)]


@pytest.mark.mysql
def test_pagination_reads_20_books_at_every_depth_and_explains_both_queries(
    books_database,
):
    books.generate_books(books_database, 2000)
    pages = (1, 10, 100)
    paging = pagination.measure(books_database, pages, sql_runs=1, app_runs=1)

    for page in pages:
        for url in pagination.page_urls(page):
            assert paging.items[url] == 20
            assert paging.app_seconds[url] > 0
        offset_rows = rows_of(books_database, paging.offset_sql[page])
        keyset_rows = rows_of(books_database, paging.keyset_sql[page])
        assert len(offset_rows) == 20
        assert keyset_rows[:20] == offset_rows  # the same books, both ways
        assert paging.offset(page) > 0
        assert paging.keyset(page) > 0
    assert "OFFSET" in paging.offset_sql[100]
    assert "id > 1980" in paging.keyset_sql[100]
    assert "COUNT(*)" in paging.count_sql
    for name in ("offset", "keyset"):
        columns, rows = paging.plans[name]
        assert "key" in columns
        assert rows

    section = pagination.describe(paging, 2000, generation=0.1, parts={})
    assert len(section.tables) == 4
    assert [check.target for check in section.checks] == [
        "keyset page 100 within 1.5× of page 1",
        "OFFSET page 100 at least 10× slower than page 1",
    ]


@pytest.mark.mysql
def test_the_pool_answers_every_request_with_far_fewer_connections(
    books_database, mysql_control
):
    # mysql_control: this test's database is on a server of its own, since the
    # `Connections` counter counts every client of the server, other tests too.
    pool.check_step()
    books.generate_books(books_database, pool.BOOKS)
    runs, opened = pool.measure(books_database, duration=0.3, rounds=1, wrk=None)
    for results in runs.values():
        assert set(results[0].statuses) == {200}
    answered = sum(
        run.requests
        for (label, _), results in runs.items()
        if label == pool.PER_REQUEST
        for run in results
    )
    # A connection per request: about one each. A pool: opened once per worker.
    assert opened[pool.PER_REQUEST] >= answered
    assert opened[pool.POOLED] <= pool.POOL_SIZE * pool.WORKERS + 2
    section = pool.describe(runs, opened, {}, 0.3, 1, used_wrk=False)
    assert len(section.tables[0].splitlines()) == 2 + 4
    assert "| 8 | a pool of 5 per worker |" in section.tables[0]


@pytest.mark.parametrize("pool_size", [0, 5])
def test_the_pool_benchmark_sets_the_pool_size_over_a_learners_own(
    monkeypatch, pool_size
):
    monkeypatch.setenv("MYSQL_POOL_SIZE", "9")  # a learner's own setting
    settings = {"MYSQL_HOST": "127.0.0.1"}
    environment = pool.environment(settings, free_port(), pool_size)
    assert environment["MYSQL_POOL_SIZE"] == str(pool_size)
