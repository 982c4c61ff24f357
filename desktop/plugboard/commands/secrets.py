"""`plugboard secret set|delete|list` and `plugboard secure NAME [KEY...]`: connector secrets in the OS keyring.

A secret's value never comes from the command line (it would sit in shell history and in every process list): it is
read from a hidden prompt, or from stdin when stdin is not a terminal (`printf %s "$TOKEN" | plugboard secret set
github GITHUB_TOKEN`). Only the first line of stdin is taken, without its line ending.

`secure NAME` moves an entry's plaintext `env` values (all of them, or the KEYs named) into the keyring and rewrites
the entry to start the server through `plugboard run NAME --secret KEY ...`, enabled or disabled; the rules are
`core.config.secure`'s. Every older backup that still holds a value is listed, and deleted with `--delete-old-backups`
(or after a yes at the prompt).
"""

from __future__ import annotations

import argparse
import json
import sys
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


def cmd_secure(args: argparse.Namespace) -> int:
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.config.secure import delete_backups, secure

    outcome = secure(Connectors.open(args.config), args.name, args.keys)
    if outcome.moved:
        keys = ", ".join(outcome.moved)
        print(f'Moved {keys} of "{args.name}" into the system keyring; its entry now starts through `plugboard run`.')
    else:
        print(f'"{args.name}" already takes {", ".join(outcome.existing)} from the system keyring.')
    stale = outcome.stale
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
        print(f"Deleted {delete_backups(stale)} backup(s).")
    else:
        print(f"Delete them with: plugboard secure {args.name} --delete-old-backups (it only deletes those).")
    print("Restart Claude Desktop to apply (plugboard claude restart).")
    return 0
