"""A server that dies as soon as it starts: writes why to stderr, then exits with code 3 (before any MCP).

The common real case: a required setting is missing and the server gives up. Tests assert that the exit code
and these last stderr lines reach the supervisor's reason and doctor's diagnosis.

Run: python tests/servers/crash_at_start_server.py
"""

from __future__ import annotations

import sys

EXIT_CODE = 3


def main() -> None:
    print("crash_at_start: loading settings", file=sys.stderr, flush=True)
    print("fatal: DATABASE_URL is not set", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_CODE)


if __name__ == "__main__":
    main()
