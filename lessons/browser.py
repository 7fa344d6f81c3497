"""Headless Chromium for the tests: load a page, let its scripts run, read the DOM.

The flags are the ones that work on a closed network and as root (in CI):
no sandbox, no GPU, no first-run screens, and fewer of Chromium's own calls home.
"""

import subprocess
from pathlib import Path


def dump_dom(
    chromium: str,
    url: str,
    profile: Path,
    budget_ms: int = 5000,
    flags: tuple[str, ...] = (),
) -> str:
    """Load `url` and return the DOM once its scripts have had `budget_ms` to run.

    `profile` must be an empty folder: a fresh browser profile for this page.
    --virtual-time-budget lets the page's timers and fetches run to completion
    before --dump-dom prints the document. `flags` are more Chromium switches.
    """
    command = [chromium, "--headless", "--disable-gpu", "--no-first-run"]
    command.append("--no-sandbox")  # Chromium's sandbox refuses to start as root (CI)
    # Fewer calls home (a closed network refuses them); not every one has a flag.
    command += ["--disable-background-networking", "--disable-component-update"]
    command += ["--disable-sync", f"--user-data-dir={profile}"]
    command += [f"--virtual-time-budget={budget_ms}", *flags, "--dump-dom", url]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"chromium failed on {url}:\n{result.stderr[-2000:]}")
    return result.stdout
