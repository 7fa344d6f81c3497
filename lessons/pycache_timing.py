"""`python -m lessons.pycache_timing [--write]`: the __pycache__ page's table alone.

The measuring is lessons/bench/pycache.py's; `--write` saves the table to
docs/measurements/pycache.md, as `lessons bench --write` does.
"""

import sys

from lessons.bench import pycache

if __name__ == "__main__":
    section = pycache.run()
    print(section.tables[0], end="")
    if "--write" in sys.argv[1:]:
        pycache.write_measurements([section])
        print(f"\nsaved to {pycache.OUTPUT}")
