"""`plugboard secret set|delete|list` and `plugboard secure NAME [KEY...]`: connector secrets in the OS keyring.

A secret's value never comes from the command line (it would sit in shell history and in every process list): it is
read from a hidden prompt, or from stdin when stdin is not a terminal (`printf %s "$TOKEN" | plugboard secret set
github GITHUB_TOKEN`). Only the first line of stdin is taken, without its line ending.

`secure NAME` moves an entry's plaintext `env` values (all of them, or the KEYs named) into the keyring and rewrites
the entry to start the server through `plugboard run NAME --secret KEY ...`. The write passes the values as `scrub`
so the backup it makes does not hold them; afterwards every older backup that still holds one is listed, and deleted
with `--delete-old-backups` (or after a yes at the prompt).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from plugboard.core.errors import PlugboardError


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    secret = subparsers.add_parser(
        "secret",
        parents=parents,
        help="store, delete or list a connector's secrets in the OS keyring",
        description="Connector secrets live in the OS keyring (service `plugboard`, user CONNECTOR/KEY).",
    )
    verbs = secret.add_subparsers(dest="secret_verb", metavar="VERB", required=True)

    p = verbs.add_parser(
        "set",
        parents=parents,
        help="store a secret (value from a hidden prompt, or stdin)",
        description="Store a secret. The value is read from a hidden prompt, or from stdin when it is not a "
        "terminal; never from the command line.",
    )
    p.add_argument("connector")
    p.add_argument("key", metavar="KEY")
    p.set_defaults(handler=cmd_set)

    p = verbs.add_parser("delete", parents=parents, help="remove a secret from the keyring")
    p.add_argument("connector")
    p.add_argument("key", metavar="KEY")
    p.set_defaults(handler=cmd_delete)

    p = verbs.add_parser("list", parents=parents, help="names of a connector's secrets (never values)")
    p.add_argument("connector")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = subparsers.add_parser(
        "secure",
        parents=parents,
        help="move a connector's plaintext env values into the keyring",
        description="Move plaintext `env` values of connector NAME (all, or the KEYs named) into the OS keyring "
        "and rewrite the entry to start through `plugboard run`.",
    )
    p.add_argument("name")
    p.add_argument("keys", nargs="*", metavar="KEY")
    p.add_argument(
        "--delete-old-backups",
        action="store_true",
        help="delete older backups of Claude's config that still hold the plaintext values",
    )
    p.set_defaults(handler=cmd_secure)


def cmd_set(args: argparse.Namespace) -> int:
    from plugboard.core.secrets import keyring as secrets

    secrets.check_connector(args.connector)
    secrets.check_key(args.key)
    from plugboard.commands.prompts import read_secret_value

    secrets.set_secret(args.connector, args.key, read_secret_value(args.connector, args.key))
    print(f"Stored {args.key} for {args.connector} in the system keyring.")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from plugboard.core.secrets import keyring as secrets

    if not secrets.delete_secret(args.connector, args.key):
        raise PlugboardError(f"there is no secret {args.key} for {args.connector} in the keyring")
    print(f"Deleted {args.key} for {args.connector} from the system keyring.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from plugboard.core.secrets import keyring as secrets

    names = secrets.list_secret_names(args.connector)
    if args.json:
        print(json.dumps(names))
    elif names:
        print("\n".join(names))
    else:
        print(f"No secrets stored for {args.connector}.")
    return 0


def plan_secure(
    name: str, entry: dict[str, Any], keys: list[str]
) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """(the rewritten entry, the values to move into the keyring, the keys the entry already takes from it).

    An entry that already runs through the launcher with no plaintext left gives (None, {}, its keys).
    """
    from plugboard.core.config.connectors import Connector
    from plugboard.core.entries import LauncherEntry, is_plugboard_program
    from plugboard.core.secrets.keyring import check_key

    connector = Connector(name, True, entry)
    env = connector.env
    if connector.via_plugboard == "proxy":
        raise PlugboardError(f"{name} runs `plugboard proxy`; its token belongs in --bearer-secret, not env")
    if connector.via_plugboard is None and is_plugboard_program(connector.command):
        raise PlugboardError(f"{name}'s `plugboard` entry cannot be read; fix it by hand first")
    existing = connector.secret_keys
    command, *args = connector.server_command
    from plugboard.core.secrets.detect import looks_secret

    # With no KEY named, only what looks like a secret moves (DEBUG=1 stays a plain, visible setting).
    wanted = keys or sorted(k for k, v in env.items() if looks_secret(k, v))
    if not wanted:
        if existing:
            return None, {}, existing
        if env:
            raise PlugboardError(
                f"none of {name}'s env values ({', '.join(sorted(env))}) look like secrets; "
                f"name the ones to move: plugboard secure {name} KEY..."
            )
        raise PlugboardError(f"{name} has no env values to move into the keyring")
    unknown = [k for k in wanted if k not in env]
    if unknown:
        raise PlugboardError(f"{name} has no env value called {', '.join(unknown)}")
    for key in wanted:
        check_key(key)
    empty = [k for k in wanted if not env[k]]
    if empty:
        raise PlugboardError(f"{', '.join(empty)} in {name} is empty; an empty secret is never stored")
    moved = {k: env[k] for k in wanted}
    remaining = {k: v for k, v in env.items() if k not in moved}
    keys_now = [*existing, *[k for k in wanted if k not in existing]]
    launcher = LauncherEntry.new(name, command, args, secrets=keys_now, env=remaining)
    # Keys Claude owns (extensionId, ...) stay as they were.
    extra = {key: value for key, value in entry.items() if key not in ("command", "args", "env")}
    return replace(launcher, extra=extra).to_json(), moved, existing


def backups_holding(backups: list[Any], values: list[str]) -> list[Path]:
    """Backup files that hold any of `values` as a JSON string (what an `env` value is), either escaping."""
    needles = set()
    for value in values:
        needles.add(json.dumps(value).encode("utf-8"))
        needles.add(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    found: list[Path] = []
    for backup in backups:
        path = Path(backup.path)
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(n in data for n in needles):
            found.append(path)
    return found


def cmd_secure(args: argparse.Namespace) -> int:
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.secrets.keyring import backend, get_secret, set_secret

    connectors = Connectors.open(args.config)
    connector = connectors.get(args.name)
    new_entry, moved, existing = plan_secure(args.name, connector.entry, list(args.keys))
    backend()  # refuse before anything changes when there is no keyring
    if new_entry is None:
        # Already secured: only look for old backups that still hold the values now in the keyring.
        values = [v for v in (get_secret(args.name, k) for k in existing) if v]
        print(f'"{args.name}" already takes {", ".join(existing)} from the system keyring.')
    else:
        for key, value in moved.items():
            set_secret(args.name, key, value)
        connectors.replace(args.name, new_entry, scrub=list(moved.values()))
        values = list(moved.values())
        keys = ", ".join(moved)
        print(f'Moved {keys} of "{args.name}" into the system keyring; its entry now starts through `plugboard run`.')
    stale = backups_holding(connectors.backups(), values)
    if not stale:
        print("Restart Claude Desktop to apply (plugboard claude restart).")
        return 0
    print(f"{len(stale)} older backup(s) of Claude's config still hold the plaintext value(s):")
    for path in stale:
        print(f"  {path}")
    delete = args.delete_old_backups
    if not delete and sys.stdin is not None and sys.stdin.isatty():
        delete = input("Delete them now? [y/N] ").strip().lower() in ("y", "yes")
    if delete:
        for path in stale:
            path.unlink(missing_ok=True)
        print(f"Deleted {len(stale)} backup(s).")
    else:
        print(f"Delete them with: plugboard secure {args.name} --delete-old-backups (it only deletes those).")
    print("Restart Claude Desktop to apply (plugboard claude restart).")
    return 0
