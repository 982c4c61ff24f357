"""A server that starts and then never answers anything: the "no answer to initialize" case.

It does not read stdin at all (a server stuck on a network call or a lock before its MCP loop). It only ends when
it is signalled, so the supervisor's stop sequence (close stdin, grace, SIGTERM) is what ends it.

Run: python tests/servers/silent_hang_server.py
"""

from __future__ import annotations

import sys
import threading


def main() -> None:
    print("silent_hang: connecting to the backend...", file=sys.stderr, flush=True)
    # The hang is the behaviour under test, not a test waiting: block until killed.
    threading.Event().wait()


if __name__ == "__main__":
    main()
