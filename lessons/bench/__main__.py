"""`python -m lessons.bench [NAME ...] [--write]`: the same as `lessons bench`."""

import sys

from lessons.cli import main

sys.exit(main(["bench", *sys.argv[1:]]))
