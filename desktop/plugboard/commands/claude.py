"""`plugboard claude status|restart`: look at and restart Claude Desktop from a terminal.

The work is `plugboard.core.claude.app.ClaudeApp`'s; this module only parses arguments and prints. It
imports the core lazily in its handlers, so registering the command group costs nothing for `plugboard run`.

`restart` prints progress on stderr while it waits for Claude to quit ("waiting for Claude Desktop to quit…
4 s") and the outcome on stdout; when Claude does not quit in time it exits 1 with that sentence, and Claude
is left running untouched.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "claude",
        help="Claude Desktop: is it running, restart it",
        description="Look at Claude Desktop and restart it so it reads its config again.",
        parents=parents,
    )
    actions = group.add_subparsers(dest="claude_command", metavar="ACTION", required=True)

    status = actions.add_parser(
        "status",
        help="is Claude Desktop running, and which config file does it read",
        parents=parents,
    )
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.set_defaults(handler=show_status)

    restart = actions.add_parser(
        "restart",
        help="quit Claude Desktop gracefully, wait for it to exit, start it again",
        parents=parents,
    )
    restart.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long to wait for Claude to quit before giving up (default 30; it never force-kills Claude)",
    )
    restart.set_defaults(handler=restart_claude)


def _app(args: argparse.Namespace) -> Any:
    from plugboard.core.claude.app import ClaudeApp

    return ClaudeApp(config_override=getattr(args, "config", None))


def show_status(args: argparse.Namespace) -> int:
    status = _app(args).status()
    config = status.config
    if args.json:
        payload = {
            "running": status.running,
            "pids": list(status.pids),
            "executable": status.executable,
            "install": status.install,
            "config": {
                "path": str(config.path),
                "source": config.source,
                "exists": config.exists,
                "logs_dir": str(config.logs_dir) if config.logs_dir else None,
            },
            "warnings": list(status.warnings),
        }
        print(json.dumps(payload, indent=2))
        return 0
    if status.running:
        pids = ", ".join(str(p) for p in status.pids)
        print(f"Claude Desktop: running (pid {pids})")
        if status.executable:
            print(f"Executable: {status.executable}")
    else:
        print("Claude Desktop: not running")
    state = "" if config.exists else ", not created yet"
    print(f"Config: {config.path} ({config.source}{state})")
    for warning in status.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def restart_claude(args: argparse.Namespace) -> int:
    from plugboard.core.claude.app import QUIT_TIMEOUT_S
    from plugboard.core.errors import PlugboardError

    timeout = QUIT_TIMEOUT_S if args.timeout is None else args.timeout
    if timeout <= 0:
        raise PlugboardError("--timeout must be a positive number of seconds.")

    def progress(elapsed: float) -> None:
        print(f"waiting for Claude Desktop to quit… {elapsed:.0f} s", file=sys.stderr, flush=True)

    outcome = _app(args).restart(progress=progress, timeout=timeout)
    if not outcome.ok:
        raise PlugboardError(outcome.message)
    print(outcome.message)
    return 0
