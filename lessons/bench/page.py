"""The text `lessons bench` prints, and the docs page `--write` saves.

Both are Markdown: a table reads well in a terminal as it is, and the same text
goes on the page docs/benchmarks.md.
"""

from lessons.bench.common import Check, Section, machine_line, markdown_table

INTRODUCTION = """\
# Benchmarks

The lessons make claims that can be measured: a server written from scratch can
keep up with the standard library's, deep OFFSET pages get slow while keyset
pages do not, the bytecode cache speeds up start-up, a connection pool beats a
new connection per request. This page shows the numbers of one real run of
`lessons bench`. They describe one machine on one day (see the line under each
table): run the command to get the numbers of yours.
"""

HOW_TO_RUN = """\
## Run it yourself

After `make test` has passed (it installs everything the benchmarks use):

```bash
lessons bench                      # every benchmark, a few minutes
lessons bench servers pagination   # only the ones you name
lessons bench --write              # all of them, then rewrite this page
```

`python -m lessons.bench` does the same. The `servers` benchmark uses the load
generator wrk when it is installed (`sudo apt install wrk`) and a built-in one
otherwise; `pagination` and `pool` start a
throwaway MariaDB/MySQL server of their own, so your data is never touched.

Every figure is a median of several runs. Things that are compared run in the
same command, taking turns, and the tables give the ratio next to the numbers:
on another machine the numbers change, the ratios much less.
"""


def target_rows(checks: list[Check]) -> str:
    """The targets as a table: what should hold, what was measured, PASS/FAIL."""
    rows = [[check.target, check.measured, f"**{check.verdict}**"] for check in checks]
    return markdown_table(["target", "measured", "result"], rows)


def section_text(section: Section) -> str:
    """One benchmark: heading, what it measures, tables, machine line, notes."""
    parts = [f"## {section.title}", section.about]
    parts += section.tables
    parts.append(f"*{machine_line(section.parts)}*")
    if section.notes:
        parts.append("\n".join(f"- {note}" for note in section.notes))
    if section.checks:
        parts.append("Targets:\n\n" + target_rows(section.checks))
    return "\n\n".join(parts) + "\n"


def page_text(sections: list[Section], checks: list[Check]) -> str:
    """The whole docs page: introduction, how to run, targets, every section."""
    passed = sum(check.passed for check in checks)
    targets = (
        f"## Targets\n\n{passed} of {len(checks)} targets met in this run.\n\n"
        + target_rows(checks)
        + "\n"
    )
    return "\n".join(
        [INTRODUCTION, HOW_TO_RUN, targets, *(section_text(s) for s in sections)]
    )
