"""What every benchmark shares: statistics, number formats, tables, the machine line.

A benchmark measures something several times and reports the median, so one
unlucky run (another program woke up, the disk was busy) cannot decide the
result. Latency is reported as p50 (half of the requests were faster) and p99
(one request in a hundred was slower): the median says what is typical, p99
says how bad the slow ones get.

Each benchmark returns a `Section`: its tables, notes and target checks, plus the
versions of the programs it used, so `lessons bench` can print it and
`lessons bench --write` can put it on the docs page.
"""

import datetime
import importlib.metadata
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field

from lessons import database


class BenchmarkUnavailable(Exception):
    """A benchmark cannot run on this machine; the message says what is missing."""


def percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value >= `percent`% of all values.

    p50 of [1, 2, 3, 4] is 2 and p99 of a hundred values is the 99th smallest.
    Nearest rank always returns a value that was really measured.
    """
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
    ordered = sorted(values)
    rank = math.ceil(percent / 100 * len(ordered))  # 1-based
    return ordered[rank - 1]


def milliseconds(seconds: float) -> str:
    """A duration in ms with sensible precision: `0.21 ms`, `12.3 ms`, `1,234 ms`."""
    value = seconds * 1000
    if value < 1:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def per_second(value: float) -> str:
    """A rate such as requests per second: `3,141`."""
    return f"{value:,.0f}"


def times(ratio: float) -> str:
    """A ratio as `2.6×` (how many times larger the first number is)."""
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = ""
) -> str:
    """A Markdown table; `align` has one letter per column, `l` or `r` (default l).

    Numbers read best right-aligned, so their digits line up.
    """
    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs exactly one cell per header")
    align = align.ljust(len(headers), "l")
    if set(align) - {"l", "r"} or len(align) != len(headers):
        raise ValueError(f"align must be l or r for each of {len(headers)} columns")
    rule = ["---:" if letter == "r" else "---" for letter in align]
    lines = [headers, rule, *rows]
    # A | inside a cell would start a new column: escape it.
    return "\n".join(
        "| " + " | ".join(str(cell).replace("|", "\\|") for cell in line) + " |"
        for line in lines
    )


@dataclass(frozen=True)
class Check:
    """One target a lesson claims, and whether this run met it."""

    target: str  # what should hold, e.g. "keyset page 10,000 within 1.5× of page 1"
    passed: bool
    measured: str  # what this run measured, e.g. "1.04×"

    @property
    def verdict(self) -> str:
        """PASS or FAIL."""
        return "PASS" if self.passed else "FAIL"


@dataclass
class Section:
    """What one benchmark found: ready to print and to put on the docs page."""

    name: str  # the name on the command line, e.g. "servers"
    title: str
    about: str  # for the page: what it measures and why that matters
    tables: list[str] = field(default_factory=list)  # Markdown blocks
    notes: list[str] = field(default_factory=list)  # sentences shown under tables
    checks: list[Check] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # program -> version
    seconds: float = 0.0  # how long the benchmark took, set by main()


def machine_line(parts: dict[str, str], today: datetime.date | None = None) -> str:
    """`2 CPUs · Python 3.11.2 · MariaDB 10.11.6 · 2025-01-31 · load 0.4` and so on.

    The load average (processes waiting for a CPU, over the last minute) shows
    whether something else was busy while we measured.
    """
    today = today or datetime.date.today()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    items = [f"{os.cpu_count()} CPUs", f"{platform.system()} {platform.machine()}"]
    items += [python, *(f"{name} {version}" for name, version in parts.items())]
    items.append(today.isoformat())
    if hasattr(os, "getloadavg"):
        items.append(f"load average {os.getloadavg()[0]:.1f} at the end")
    return " · ".join(items)


def database_version(settings: dict[str, str]) -> dict[str, str]:
    """{"MariaDB": "10.11.6"} (or MySQL) for the machine line: asks the server."""
    with database.connect(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]  # e.g. "10.11.6-MariaDB-0+deb12u1"
    name = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    return {name: version.split("-")[0]}


def gunicorn_version() -> str:
    """The installed gunicorn's version; BenchmarkUnavailable when it is missing."""
    try:
        return importlib.metadata.version("gunicorn")
    except importlib.metadata.PackageNotFoundError:
        raise BenchmarkUnavailable(
            "gunicorn is not installed; install the test tools with: make install"
        ) from None
