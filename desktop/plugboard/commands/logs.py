"""`plugboard logs NAME [--follow] [--since WHEN] [--json]`: one connector's merged log.

Merges the output of servers Plugboard started (doctor, the app), the launcher's log of servers Claude started,
and Claude Desktop's own `mcp-server-NAME.log`, by time (`core.log_sources`). Secrets are masked: the
connector's keyring secrets (when the keyring answers) and `env` values whose names say they are secret.
`--since` takes a duration back from now (`90s`, `10m`, `2h`, `1d`) or an ISO time (`2025-06-03T07:00`, UTC
when no zone is given). `--follow` keeps printing new lines until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
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


def cmd_logs(args: argparse.Namespace) -> int:
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.logs.sources import open_logs

    since = parse_since(args.since) if args.since else None
    model, live = open_logs(Connectors.open(args.config), args.name, since=since)
    try:
        for line in model.lines():
            print(format_line(line, args.json))
        if not args.follow:
            if not model.lines() and not args.json:
                print(f"(no log lines for {args.name} yet)")
            return 0
        sys.stdout.flush()
        model.subscribe(lambda batch: print("\n".join(format_line(ln, args.json) for ln in batch), flush=True))
        live.run()
    except KeyboardInterrupt:
        return 0
    finally:
        live.close()
    return 0
