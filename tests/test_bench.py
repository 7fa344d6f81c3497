"""The benchmarks (lessons/bench/), run for real on tiny sizes: correctness, not speed.

Every benchmark here runs for real (real servers, gunicorn, wrk, a real
MariaDB, fresh Python processes), only shorter and smaller than `lessons bench`
runs it. Nothing here asserts how fast anything is: a busy machine must not
fail these tests.
"""

import functools
import re
import urllib.request

import pytest

from lessons import bench, database
from lessons.bench import boot, common, load, pagination
from lessons.cli import main as lessons
from lessons.pytest_plugin import require_part
from lessons.steps import ROOT

STEP01 = ROOT / "01_raw_wsgi"  # the app every server of the race serves


def test_numbers_are_shown_with_sensible_precision():
    shown = [common.milliseconds(s) for s in (0.000214, 0.0123, 1.2344)]
    assert shown == ["0.21 ms", "12.3 ms", "1,234 ms"]
    assert [common.times(r) for r in (1.0, 2.654, 39.04, 120.4)] == [
        "1.00×",
        "2.65×",
        "39.0×",
        "120×",
    ]


def test_a_table_is_markdown_with_numbers_aligned_right():
    table = common.table(["server", "requests/s"], [["a", "1"], ["b|c", "22"]], "lr")
    assert table.splitlines() == [
        "| server | requests/s |",
        "| --- | ---: |",
        "| a | 1 |",
        "| b\\|c | 22 |",  # a | inside a cell must not start a new column
    ]


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
    expected = (6594, 2.10, 241e-6, 1.84e-3, 2 + 1 + 4)
    assert load.parse_wrk(output) == pytest.approx(expected)


def test_the_servers_benchmark_races_step_01_against_wsgiref_under_wrk(monkeypatch):
    require_part("wrk")  # skipped without it; under CI=true a failure
    # The real benchmark on the sizes of a test: 1 round of 1 s, 1 connection
    # (a load that keeps one CPU busy, not every CPU the other tests share),
    # between the two servers its target compares. The others are started
    # below: each second of wrk on one costs a second of a busy CPU.
    raced = {label: load.SERVERS[label] for label in (load.STEP01, load.WSGIREF)}
    monkeypatch.setattr(load, "SERVERS", raced)
    result = load.servers(sizes=(1, 1, (1,)))
    text = result.texts["servers"]
    for label in raced:
        [row] = [line for line in text.splitlines() if f"| {label} |" in line]
        assert row.startswith("| 1 |"), row
        assert int(row.split(" | ")[2].replace(",", "")) > 0, row  # requests/s
    assert "1 s per run" in text
    assert "requests failed" not in text
    assert [check.target for check in result.checks] == [
        "step 01's server at least as fast as wsgiref with 1 connection"
    ]


@pytest.mark.parametrize("label", list(load.SERVERS))
def test_every_server_of_the_race_serves_step_01s_app(label, free_port, run_server):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hello?name=bench"
    command = load.server_command(label, port)
    with run_server(command, port, cwd=STEP01), urllib.request.urlopen(url) as reply:
        assert reply.status == 200
        body = reply.read()
    if label == load.INSTANT:
        assert body == b"ok\n"  # the ceiling answers at once, without the app
    else:
        assert b"bench" in body  # step 01's app, greeting the name it was given


def test_boot_times_every_step_and_both_frameworks_and_write_saves_them(
    tmp_path, monkeypatch, capsys
):
    # The real benchmark, on the sizes of a test: one timed start of each app.
    monkeypatch.setattr(bench, "BENCHMARKS", {"boot": functools.partial(boot.run, 1)})
    assert bench.main([], write=True, folder=tmp_path) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "boot.md",
        "frameworks.md",
        "targets.md",
    ]
    steps = (tmp_path / "boot.md").read_text()
    for step in boot.all_steps():
        [row] = [line for line in steps.splitlines() if f"`{step.name}`" in line]
        has_factory = "def create_app" in (step.path / "app.py").read_text()
        assert ("built by the import" not in row) == has_factory, row
    frameworks = (tmp_path / "frameworks.md").read_text()
    for framework in ("Flask", "Django"):
        [row] = [line for line in frameworks.splitlines() if f"| {framework} |" in line]
        assert row.endswith(" MiB |"), row
    targets = (tmp_path / "targets.md").read_text()
    assert targets.startswith("1 of 1 targets met in this run.")
    assert "| `boot` finishes in under 2 minutes |" in targets
    assert "Running the boot benchmark" in capsys.readouterr().out


def test_an_unknown_benchmark_is_a_usage_error(capsys):
    assert lessons(["bench", "boot", "warp-speed"]) == 2
    error = capsys.readouterr().err
    assert "no benchmark called 'warp-speed'" in error
    assert "the benchmarks are: servers, boot, pycache, pagination, pool" in error


def test_write_refuses_to_mix_runs_and_writes_nothing(tmp_path, capsys):
    assert bench.main(["boot"], write=True, folder=tmp_path) == 2
    assert "runs them all" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_without_wrk_the_load_benchmarks_do_not_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # a search path where wrk is not
    assert bench.main(["servers", "pool"], write=False) == 1
    error = capsys.readouterr().err
    assert "servers: not run: wrk (HTTP load generator) is not installed" in error
    assert "sudo apt install wrk" in error
    assert "pool: not run: wrk (HTTP load generator) is not installed" in error


@pytest.fixture(scope="module")
def books():
    """A throwaway server of this module's own with 2,000 generated books (in
    chunks of 700): the `Connections` counter of the pool test counts every
    client of the server, so no other test may share it."""
    require_part("mariadb")
    with pagination.database_with_books(2000, chunk=700) as (settings, _seconds):
        yield settings


def rows_of(settings, sql):
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.mysql
def test_generated_books_have_ids_1_to_count_without_gaps(books):
    sql = "SELECT COUNT(*), MIN(id), MAX(id), COUNT(DISTINCT isbn) FROM books"
    assert rows_of(books, sql) == [(2000, 1, 2000, 2000)]


@pytest.mark.mysql
def test_pagination_reads_the_same_20_books_both_ways_and_explains_both(books):
    offset, keyset, count = pagination.measure(books, (1, 10, 100), 1, 1)
    for page in (1, 10, 100):
        assert offset[page].books == keyset[page].books == 20
        assert rows_of(books, keyset[page].sql)[:20] == rows_of(books, offset[page].sql)
        assert offset[page].sql_seconds > 0 and keyset[page].request_seconds > 0
    assert "OFFSET 1980" in offset[100].sql
    assert "id > 1980" in keyset[100].sql
    assert "COUNT(*)" in count.sql

    result = pagination.describe(books, offset, keyset, count, notes=[])
    text = result.texts["pagination"]
    assert text.count("```sql\n") == 2  # both queries, each with its plan
    assert text.count("| id | select_type | table | type |") == 2
    assert "| `/books?page=100` |" in text
    assert [check.target for check in result.checks] == [
        "keyset page 100 within 1.5× of page 1",
        "OFFSET page 100 at least 10× slower than page 1",
    ]


@pytest.mark.mysql
def test_the_pool_answers_every_request_with_far_fewer_connections(books, monkeypatch):
    monkeypatch.setenv("MYSQL_POOL_SIZE", "9")  # a learner's own: must not count
    require_part("wrk")
    result = load.pool_result(books, (1, 1, (1,)), *load.tools())
    text = result.texts["pool"]
    assert "requests failed" not in text
    counted = re.search(r"request: (\S+) for (\S+) requests; .*: (\S+) for", text)
    opened, answered, pooled = (int(n.replace(",", "")) for n in counted.groups())
    assert opened >= answered > 0  # a connection per request
    assert pooled <= load.POOL_SIZE * 2  # a pool: opened once per worker, at most
    assert "| 1 | a pool of 5 per worker |" in text
