"""`plugboard backups | restore BACKUP`: the copies Plugboard keeps before every write of Claude's config."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("backups", parents=parents, help="list backups of Claude's config, newest first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_backups)
    p = subparsers.add_parser(
        "restore", parents=parents, help="put a backup back (number from `backups`, or file name)"
    )
    p.add_argument("backup")
    p.set_defaults(handler=cmd_restore)


def cmd_backups(args: argparse.Namespace) -> int:
    from plugboard.core.config.backups import KEEP, Backup
    from plugboard.core.config.connectors import Connectors

    backups: list[Backup] = Connectors.open(args.config).backups()
    if args.json:
        rows = [
            {
                "number": i,
                "name": b.name,
                "path": str(b.path),
                "created": b.created.isoformat(),
                "reason": b.reason,
            }
            for i, b in enumerate(backups, 1)
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not backups:
        print("No backups yet. Plugboard makes one before every change to Claude's config.")
        return 0
    print(f"Backups of Claude's config, newest first (the newest {KEEP} are kept):")
    for i, backup in enumerate(backups, 1):
        local = backup.created.astimezone()
        print(f"{i:>3}  {local:%Y-%m-%d %H:%M:%S}  {backup.reason:<24}  {backup.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from plugboard.core.config import secure
    from plugboard.core.config.connectors import Connectors

    connectors = Connectors.open(args.config)
    backup = secure.restore(connectors, args.backup)
    print(
        f"Restored {backup.name} into {connectors.path}. What was there before is now the newest backup. "
        "Restart Claude Desktop to apply."
    )
    return 0
