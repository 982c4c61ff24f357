"""`plugboard relink [--dry-run]`: point every connector that starts Plugboard at the stable command path.

Entries written by an older install (a deleted virtual environment, a moved bundle) name a program that is gone or
that is another copy; `plugboard list` and `plugboard doctor` point them out. The rules and the lossless rewrite are
core/config/relink.py's; this module prints what changed.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "relink",
        parents=parents,
        help="point connectors written by another copy of Plugboard at this one (keeps a backup)",
        description="Rewrite the Plugboard path of every connector that starts Plugboard, so it uses the stable "
        "command path that survives updates and moves. Only that path changes; Claude's file is backed up first.",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    p.set_defaults(handler=cmd_relink)


def cmd_relink(args: argparse.Namespace) -> int:
    from plugboard.commands.terminal import safe
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.config.relink import relink

    connectors = Connectors.open(args.config)
    result = relink(connectors, dry_run=args.dry_run)
    if not result.changed:
        print(f"Every connector already starts Plugboard through {safe(result.command)}.")
        return 0
    verb = "would change" if args.dry_run else "changed"
    for link in result.changed:
        state = "" if link.enabled else " (disabled)"
        # Names and paths come from Claude's file: printed through `safe` (commands/terminal.py).
        print(f"{safe(link.name)}{state}: {safe(link.command)} -> {safe(result.command)}")
    count = len(result.changed)
    print(f"{count} connector{'s' if count != 1 else ''} {verb}.", end="")
    if result.backup is not None:
        print(f" The previous file is kept as backup {result.backup.path.name} (`plugboard backups`).", end="")
    if not args.dry_run and any(link.enabled for link in result.changed):
        print(" Restart Claude Desktop to use them (`plugboard claude restart`).")
    else:
        print()
    return 0
