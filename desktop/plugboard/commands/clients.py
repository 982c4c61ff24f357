"""`plugboard import CLIENT [PATH]` and `plugboard export CLIENT [PATH]`: servers from and to other MCP clients.

Import shows the preview (`core.clients.importing.preview_import`) and asks before writing: first whether to move the
plaintext secrets it found into the keyring (default yes; no means those servers are not imported, because a
plaintext secret never goes into Claude's file), then whether to import. `--yes` answers yes to both for scripts;
without a terminal and without `--yes` nothing is written. `--json` without `--yes` prints the preview only.
Secrets the source file only refers to (`${input:x}`, `${env:X}`) are asked with a hidden prompt on a terminal
(Enter leaves them for `plugboard secret set`); in scripts they are listed for later.

Export writes the connectors into the client's file (merging; see `core.clients.exporting`), or for `shareable`
without PATH prints the shareable JSON to stdout. No secret value is ever read for an export.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from plugboard.core.errors import PlugboardError

CLIENT_CHOICES = ("cursor", "vscode", "claude-code", "windsurf", "cline", "lmstudio", "shareable")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "import",
        parents=parents,
        help="bring servers from another MCP client into Claude (secrets go to the keyring)",
        description="Import the MCP servers of another client. PATH defaults to the client's usual config file. "
        "A preview is shown first; remote servers become `plugboard proxy` connectors and plaintext secrets move "
        "to the OS keyring.",
    )
    p.add_argument("client", choices=CLIENT_CHOICES, metavar="CLIENT", help=", ".join(CLIENT_CHOICES))
    p.add_argument("path", nargs="?", metavar="PATH", help="the client's config file (default: its usual place)")
    p.add_argument("--yes", action="store_true", help="import without asking (secrets go to the keyring)")
    p.add_argument("--json", action="store_true", help="machine-readable preview (with --yes: the result)")
    p.add_argument(
        "--on-conflict",
        choices=("skip", "rename", "replace"),
        default="skip",
        help="a different connector already has the name: skip it (default), import as NAME-2, or replace it",
    )
    p.set_defaults(handler=cmd_import)

    p = subparsers.add_parser(
        "export",
        parents=parents,
        help="write Claude's connectors into another MCP client's config, or a shareable file (no secrets)",
        description="Export connectors to another client's format. Secrets are never exported: they become "
        "references (${env:KEY}, ${input:KEY}, ${secret:KEY}, …) the other side fills in.",
    )
    p.add_argument("client", choices=CLIENT_CHOICES, metavar="CLIENT", help=", ".join(CLIENT_CHOICES))
    p.add_argument("path", nargs="?", metavar="PATH", help="target file (default: the client's usual place)")
    p.add_argument("--replace", action="store_true", help="overwrite same-named servers that differ")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(handler=cmd_export)


def _confirm(question: str) -> bool:
    answer = input(f"{question} [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")


def _ask_missing(connector: str, key: str) -> str | None:
    from plugboard.commands.prompts import read_hidden

    return read_hidden(f"{key} for {connector} (Enter to set it later)", key) or None


def cmd_import(args: argparse.Namespace) -> int:
    from plugboard.core.claude.first_run import created_note, require_config_folder
    from plugboard.core.clients.formats import client
    from plugboard.core.clients.importing import CONFLICT, NEW, apply_import, preview_import, secret_set_hint
    from plugboard.core.config.connectors import Connectors

    fmt = client(args.client)
    connectors = Connectors.open(args.config)
    setup = require_config_folder(connectors.discovery)
    plan = preview_import(args.client, args.path, connectors)
    if args.json and not args.yes:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
        return 0
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not args.json:
        print(f"{len(plan.items)} server(s) in {plan.path} ({fmt.label}):")
        for item in plan.items:
            label = item.name if item.name == item.server.name else f"{item.server.name} → {item.name}"
            print(f"  {label}: {item.summary()}")
            for note in item.notes:
                print(f"      {note}")
    todo = [i for i in plan.items if i.action == NEW or (i.action == CONFLICT and args.on_conflict != "skip")]
    if not todo:
        if not args.json:
            print("Nothing to import.")
        else:
            print(json.dumps({"added": [], "skipped": [i.name for i in plan.items]}, indent=2))
        return 0
    move = True
    if not args.yes:
        if not interactive:
            where = f" {args.path}" if args.path else ""
            raise PlugboardError(
                f"not imported: run `plugboard import {args.client}{where} --yes` to import without asking"
            )
        if setup.message:
            print(setup.message)
        if plan.moves_secrets:
            move = _confirm("Move the plaintext secrets into the system keyring (they never go into Claude's file)?")
            if not move:
                print("Servers holding plaintext secrets will not be imported.")
        if not _confirm(f"Import {len(todo)} server(s) into {connectors.path}?"):
            print("Nothing changed.")
            return 1
    result = apply_import(
        plan,
        connectors,
        move_secrets=move,
        conflicts=args.on_conflict,
        ask_secret=_ask_missing if interactive and not args.json else None,
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    created = created_note(setup)
    if created:
        print(created)
    if result.added or result.replaced:
        print(f"Imported {', '.join(result.added + result.replaced)} into {connectors.path}.")
    if result.stored_secrets:
        print(f"{len(result.stored_secrets)} secret(s) stored in the system keyring.")
    if result.parked:
        print(f"Switched off as in {fmt.label}: {', '.join(result.parked)} (plugboard enable NAME).")
    for name, reason in result.skipped:
        print(f"Skipped {name}: {reason}.")
    hints = secret_set_hint(result.missing_secrets)
    if hints:
        print("Still needed before those servers can start:")
        for hint in hints:
            print(f"  {hint}")
    print("Restart Claude Desktop to use them (plugboard claude restart).")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from plugboard.core.clients.exporting import export_connectors, export_document, write_export
    from plugboard.core.clients.formats import client
    from plugboard.core.config.connectors import Connectors

    fmt = client(args.client)
    items = Connectors.open(args.config).all()
    if args.client == "shareable" and args.path in (None, "-"):
        exported = export_connectors(items, args.client)
        doc, _written = export_document(exported, args.client)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        for name, reason in exported.left_out:
            print(f"plugboard: left out {name}: {reason}", file=sys.stderr)
        return 0
    outcome = write_export(items, args.client, args.path, replace=args.replace)
    exported = outcome.exported
    if args.json:
        out = {
            "path": str(outcome.path),
            "written": outcome.written,
            "kept": outcome.kept,
            "left_out": [{"name": n, "reason": r} for n, r in exported.left_out],
            "placeholders": exported.placeholders,
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(f"Exported {len(outcome.written)} server(s) to {outcome.path} ({fmt.label}).")
    for name in outcome.kept:
        print(f"Kept the different {name} already there (use --replace to overwrite it).")
    for name, reason in exported.left_out:
        print(f"Left out {name}: {reason}.")
    if exported.placeholders:
        print("No secret was exported; fill these in on the other side:")
        for name, keys in exported.placeholders.items():
            print(f"  {name}: {', '.join(keys)}")
    return 0
