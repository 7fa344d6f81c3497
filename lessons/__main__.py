"""Lets `python -m lessons` work like the `lessons` command."""

import sys

from lessons.cli import main

sys.exit(main())
