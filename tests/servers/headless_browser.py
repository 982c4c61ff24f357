"""A browser for tests: `headless_browser.py URL` GETs URL and follows every redirect with httpx, as a person's
browser would when an authorization server approves at once, ending on Plugboard's loopback page.

Python's `webbrowser` runs the `BROWSER` command with the URL as its argument; `BROWSER` must name one executable,
so the tests write a two-line shell wrapper (`write_browser`) that runs this file with the tests' interpreter.

With `HEADLESS_BROWSER_VISITS=FILE`, each run appends one line `visit` to FILE (never a URL: the redirect holds the
authorization code), so a test can count how often a browser was opened. Exit status 0 when the last page answered
200, else 1.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

# An approving authorization server and our loopback page each answer in milliseconds.
FOLLOW_TIMEOUT_S = 30.0


def write_browser(folder: Path) -> Path:
    """An executable `BROWSER` command that runs this stand-in."""
    script = folder / "headless-browser"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def main() -> int:
    import httpx

    url = sys.argv[1]
    visits = os.environ.get("HEADLESS_BROWSER_VISITS")
    if visits:
        with open(visits, "a", encoding="utf-8") as out:
            out.write("visit\n")
    with httpx.Client(follow_redirects=True, trust_env=False, timeout=FOLLOW_TIMEOUT_S) as client:
        response = client.get(url)
    return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
