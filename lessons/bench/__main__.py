"""`python -m lessons.bench [NAME ...] [--write]`: the same as `lessons bench`."""

import argparse
import sys

from lessons.bench import main
from lessons.bench.command import BENCHMARKS


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the benchmark names and --write from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lessons.bench",
        description="Run the benchmarks and print a table for each.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="run every benchmark, then rewrite docs/benchmarks.md",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    sys.exit(main(arguments.names, arguments.write))
