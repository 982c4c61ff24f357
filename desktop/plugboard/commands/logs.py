"""`plugboard logs NAME [--follow] [--since WHEN] [--json]`: one connector's merged log.

Merges the output of servers Plugboard started (doctor, the app), the launcher's log of servers Claude started,
and Claude Desktop's own `mcp-server-NAME.log`, by time (`core.logs.sources`). Secrets are masked: the
connector's keyring secrets (when the keyring answers) and `env` values whose names say they are secret.
`--since` takes a duration back from now (`90s`, `10m`, `2h`, `1d`) or an ISO time (`2025-06-03T07:00`, UTC
when no zone is given). `--follow` keeps printing new lines until Ctrl-C.

Ctrl-C (SIGINT) while following is handled here, not left to Python's KeyboardInterrupt, for two reasons:
- A process started with SIGINT ignored keeps it ignored (Python installs its KeyboardInterrupt handler only when
  SIGINT is at its default), and a shell starts every background job of a script so (`plugboard logs x -f &`): such
  a follower never ended on SIGINT.
- KeyboardInterrupt is raised wherever the main thread happens to be: in a subscriber's `print`, or inside
  `threading.Event`'s own lock (between a lock's acquire in a Python-level `__enter__` and the `with` block that
  releases it), after which `LiveSources.close()` waits on that lock for good.
So the first SIGINT only sets a flag (no lock, no exception); the follower sees it at its next look (within
`FOLLOW_POLL_S`) and ends normally. A second SIGINT raises KeyboardInterrupt as usual, for a follower stuck writing to a
reader that stopped reading.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("logs", parents=parents, help="show a connector's log (all sources, merged)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until Ctrl-C")
    p.add_argument("--since", metavar="WHEN", help="only lines since: 10m, 2h, 1d, or an ISO time")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_logs)


def parse_since(text: str, now: float | None = None) -> float:
    """Epoch seconds for `--since`: a duration back from now, or an ISO-8601 time (UTC if no zone)."""
    from plugboard.core.errors import PlugboardError

    now = time.time() if now is None else now
    match = _DURATION_RE.match(text)
    if match:
        return now - float(match.group(1)) * _UNIT_S[match.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PlugboardError(
            f"cannot read --since {text!r}: use a duration like 10m, 2h, 1d, or a time like 2025-06-03T07:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def format_line(line: Any, as_json: bool) -> str:
    from plugboard.core.logs.model import iso_time

    if as_json:
        return json.dumps(line.to_json(), ensure_ascii=False)
    return f"{iso_time(line.time)} {line.source:<10} {line.level:<7} {line.text}"


class CtrlC:
    """While following: the first SIGINT asks the follower to stop (a flag), a second raises KeyboardInterrupt.
    Installed before anything else of the command runs; `restore()` puts the previous handler back."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, _number: int, _frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def stop_requested(self) -> bool:
        return self.requested

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self._previous)


def cmd_logs(args: argparse.Namespace) -> int:
    ctrl_c = CtrlC() if args.follow else None
    try:
        return _show(args, ctrl_c)
    except KeyboardInterrupt:  # a second Ctrl-C while following
        return 0
    finally:
        if ctrl_c is not None:
            ctrl_c.restore()


def _show(args: argparse.Namespace, ctrl_c: CtrlC | None) -> int:
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.logs.sources import open_logs

    since = parse_since(args.since) if args.since else None
    model, live = open_logs(Connectors.open(args.config), args.name, since=since)
    try:
        for line in model.lines():
            print(format_line(line, args.json))
        if ctrl_c is None:
            if not model.lines() and not args.json:
                print(f"(no log lines for {args.name} yet)")
            return 0
        sys.stdout.flush()
        model.subscribe(lambda batch: print("\n".join(format_line(ln, args.json) for ln in batch), flush=True))
        live.run(until=ctrl_c.stop_requested)
    finally:
        live.close()
    return 0
