"""What the benchmarks share: their result, number formats, tables, the machine line.

Every figure is a median of several runs, so one unlucky run cannot decide it,
and what is compared takes turns, so a busy moment of the machine hits all alike.
"""

import datetime
import os
import platform
from dataclasses import dataclass, field

from lessons.steps import ROOT

STEP05 = ROOT / "05_cors_pagination"  # the finished API: pagination, pool, pycache


class BenchmarkUnavailable(Exception):
    """A benchmark cannot run on this machine; the message says what is missing."""


@dataclass(frozen=True)
class Check:
    """A target a lesson claims, whether this run met it, and what it measured."""

    target: str  # e.g. "keyset page 10,000 within 1.5× of page 1"
    passed: bool
    measured: str  # e.g. "1.04×"


@dataclass
class Result:
    """What a benchmark found: Markdown per file of docs/measurements/, targets."""

    texts: dict[str, str]  # e.g. {"servers": "| connections | server | ..."}
    checks: list[Check] = field(default_factory=list)


def milliseconds(seconds: float) -> str:
    """A duration in ms with sensible precision: `0.21 ms`, `12.3 ms`, `1,234 ms`."""
    value = seconds * 1000
    if value < 1:
        return f"{value:.2f} ms"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def times(ratio: float) -> str:
    """A ratio as `2.65×`, `39.0×` or `120×` (how many times larger)."""
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def against(seconds: float, baseline: float) -> list[str]:
    """Two cells: the seconds, and how many times the `baseline` they are."""
    return [milliseconds(seconds), times(seconds / baseline)]


def table(headers: list[str], rows: list, align: str = "") -> str:
    """A Markdown table; `align` has `l` or `r` per column (default l): numbers
    read best right-aligned, their digits lined up."""
    rule = ["---:" if letter == "r" else "---" for letter in align.ljust(len(headers))]
    lines = []
    for line in [headers, rule, *rows]:
        # None (SQL's NULL) shows as an empty cell; a | would start a new column.
        cells = ["" if cell is None else str(cell).replace("|", "\\|") for cell in line]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def measured_text(tables: list[str], notes: list[str], parts: dict | None = None):
    """One file's Markdown: the tables, the machine line, then the notes.

    The machine line names the programs measured (`parts`: {"MariaDB": "10.11.6"})
    and the load average, which shows whether something else kept the CPUs busy.
    """
    items = [f"{os.cpu_count()} CPUs", f"{platform.system()} {platform.machine()}"]
    items.append(f"{platform.python_implementation()} {platform.python_version()}")
    items += [f"{name} {version}" for name, version in (parts or {}).items()]
    items.append(datetime.date.today().isoformat())
    items.append(f"load average {os.getloadavg()[0]:.1f} at the end")
    blocks = [*tables, "*" + " · ".join(items) + "*"]
    if notes:
        blocks.append("\n".join(f"- {note}" for note in notes))
    return "\n\n".join(blocks) + "\n"


def fresh_environment(**settings: str) -> dict[str, str]:
    """Our environment without the settings that change where (or whether)
    Python caches bytecode, plus `settings`: a learner's defaults."""
    cache_settings = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    environment = {k: v for k, v in os.environ.items() if k not in cache_settings}
    return {**environment, **settings}
