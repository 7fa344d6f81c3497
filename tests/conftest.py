"""The course's own tests: the `lessons` tooling and the docs, not a step.

Run them with `pytest tests` from the repository root (or `lessons test`). The
database fixtures (`mysql_server`, `mysql_database`, `mysql_control`) come from
the `lessons` pytest plugin, which pytest loads by itself.
"""
