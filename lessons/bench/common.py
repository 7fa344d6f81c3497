"""What every benchmark shares: statistics, number formats, tables, the machine line.

A benchmark measures several times and reports the median, so one unlucky run
cannot decide the result. Latency is given as p50 (half of the requests were
faster: what is typical) and p99 (one in a hundred was slower: how bad the slow
ones get). Each benchmark returns a `Section` for the page.
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
    """The nearest-rank percentile: always a value that was really measured."""
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
    rank = math.ceil(percent / 100 * len(values))  # 1-based
    return sorted(values)[rank - 1]


def milliseconds(seconds: float) -> str:
    """A duration in ms with sensible precision: `0.21 ms`, `12.3 ms`, `1,234 ms`."""
    value = seconds * 1000
    if value < 1:
        return f"{value:.2f} ms"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def per_second(value: float) -> str:
    return f"{value:,.0f}"


def times(ratio: float) -> str:
    """A ratio as `2.65×`, `39.0×` or `120×` (how many times larger)."""
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = ""
) -> str:
    """A Markdown table; `align` has a letter per column, `l` or `r` (default l):
    numbers read best right-aligned, so their digits line up."""
    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs exactly one cell per header")
    align = align.ljust(len(headers), "l")
    if set(align) - {"l", "r"} or len(align) != len(headers):
        raise ValueError(f"align must be l or r for each of {len(headers)} columns")
    rule = ["---:" if letter == "r" else "---" for letter in align]
    # A | inside a cell would start a new column: escape it.
    return "\n".join(
        "| " + " | ".join(str(cell).replace("|", "\\|") for cell in line) + " |"
        for line in [headers, rule, *rows]
    )


@dataclass(frozen=True)
class Check:
    """One target a lesson claims, and whether this run met it."""

    target: str  # what should hold, e.g. "keyset page 10,000 within 1.5× of page 1"
    passed: bool
    measured: str  # what this run measured, e.g. "1.04×"


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


def machine_line(parts: dict[str, str]) -> str:
    """`2 CPUs · Linux x86_64 · CPython 3.11.2 · MariaDB 10.11.6 · 2025-01-31 · ...`.

    The load average (processes waiting for a CPU, over the last minute) shows
    whether something else was busy while we measured.
    """
    python = f"{platform.python_implementation()} {platform.python_version()}"
    items = [f"{os.cpu_count()} CPUs", f"{platform.system()} {platform.machine()}"]
    items += [python, *(f"{name} {version}" for name, version in parts.items())]
    items.append(datetime.date.today().isoformat())
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
