"""Benchmarks: measure what the lessons claim, on your own machine.

    lessons bench [NAME ...] [--write]      (or: python -m lessons.bench ...)

One module per benchmark (servers, boot, pycache, pagination, pool), each with a
`run()` that returns a `Section` of results. The rest they share: `common.py`
(statistics, tables, the machine line), `load.py` (the load generators),
`books.py` (a throwaway database full of generated books), `page.py` (the text
of docs/benchmarks.md) and `command.py` (the command itself).
"""

from lessons.bench.command import main

__all__ = ["main"]
