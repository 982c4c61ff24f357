"""`plugboard catalog [SEARCH] [--json]` and `plugboard catalog add ID [NAME] [--set KEY=VALUE]...`.

Secret fields are never taken from `--set` (argv sits in shell history and every process list): they are asked
with a hidden prompt, or read one line each from stdin when it is not a terminal, in the order the catalog lists
them. Optional secrets are asked too; an empty answer leaves them out. The core (`core.clients.catalog`) does the
checking and building; this module only collects values and prints.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from plugboard.core.errors import PlugboardError


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    # One parser for both forms: a sub-parser for `add` beside a free-text SEARCH would make argparse read any
    # search word as a misspelt verb.
    p = subparsers.add_parser(
        "catalog",
        parents=parents,
        help="popular MCP servers ready to add: plugboard catalog [SEARCH] | catalog add ID [NAME]",
        usage="plugboard catalog [SEARCH...] [--json]\n       plugboard catalog add ID [NAME] [--set FIELD=VALUE]...",
        description="Browse the bundled catalog of MCP servers, or add one as a connector. Text, folder and file "
        "fields come from --set FIELD=VALUE; secret fields are asked with a hidden prompt (or read from stdin, "
        "one line each), stored in the OS keyring, never written to a file.",
    )
    p.add_argument("words", nargs="*", metavar="SEARCH", help="words to look for, or: add ID [NAME]")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="fill a field (with add)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_catalog)


def cmd_catalog(args: argparse.Namespace) -> int:
    from plugboard.core.clients.catalog import load_catalog

    words = list(args.words)
    if words[:1] == ["add"]:
        if len(words) not in (2, 3):
            raise PlugboardError("usage: plugboard catalog add ID [NAME] [--set FIELD=VALUE]...")
        return cmd_add(args, words[1], words[2] if len(words) == 3 else None)
    if args.set:
        raise PlugboardError("--set is for `plugboard catalog add ID`")
    found = load_catalog().search(" ".join(words))
    if args.json:
        print(json.dumps([i.to_json() for i in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"Nothing in the catalog matches {' '.join(words)!r}.")
        return 1
    width = max(len(i.id) for i in found)
    for item in found:
        print(f"{item.id.ljust(width)}  {item.name} ({item.runtime}): {item.description}")
    if len(found) == 1:
        _print_fields(found[0])
    print("\nAdd one with: plugboard catalog add ID [NAME] [--set FIELD=VALUE]...")
    return 0


def _print_fields(item: Any) -> None:
    print(f"\n{item.name} — {item.docs}")
    for spec in item.inputs:
        need = "required" if spec.required else "optional"
        how = "asked, hidden" if spec.is_secret else f"--set {spec.id}=…"
        example = f" e.g. {spec.placeholder}" if spec.placeholder and not spec.is_secret else ""
        print(f"  {spec.id}: {spec.label} [{spec.type}, {need}; {how}]{example}")
    if not item.inputs:
        print("  (no fields)")


def cmd_add(args: argparse.Namespace, item_id: str, given_name: str | None) -> int:
    from plugboard.commands.prompts import read_hidden
    from plugboard.core.claude.first_run import created_note, require_config_folder
    from plugboard.core.clients.catalog import add_from_catalog, check_runtime, load_catalog, plan_add
    from plugboard.core.config.connectors import Connectors

    item = load_catalog().get(item_id)
    name = given_name or item.id
    values: dict[str, str] = {}
    for pair in args.set:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PlugboardError(f"--set takes FIELD=VALUE, got {pair!r}")
        spec = item.input(key)
        if spec.is_secret:
            raise PlugboardError(
                f"{key} is a secret: it is asked with a hidden prompt (or read from stdin), never given on the "
                "command line"
            )
        values[key] = value
    missing = [s for s in item.inputs if s.required and not s.is_secret and s.id not in values]
    if missing:
        sets = " ".join(f"--set {s.id}={(s.placeholder or 'VALUE').replace(' ', '')}" for s in missing)
        labels = ", ".join(f"“{s.label}”" for s in missing)
        raise PlugboardError(f"{item.name} needs {labels}: plugboard catalog add {item.id} {sets}")
    connectors = Connectors.open(args.config)
    setup = require_config_folder(connectors.discovery)
    if name in {c.name for c in connectors.all()}:
        raise PlugboardError(f'a connector called "{name}" already exists; give another NAME')
    runtime = check_runtime(item)
    if not runtime.ok:
        raise PlugboardError(runtime.message)
    plan_add(item, name, {**values, **{s.id: "x" for s in item.inputs if s.is_secret}})  # check fields first
    for spec in item.inputs:
        if spec.is_secret:
            suffix = "" if spec.required else " (optional, Enter to skip)"
            answer = read_hidden(f"{spec.label} for {name}{suffix}", spec.id)
            if answer:
                values[spec.id] = answer
    plan = plan_add(item, name, values)
    add_from_catalog(connectors, plan)
    if args.json:
        out = {"name": name, "entry": plan.entry, "secrets": sorted(plan.secrets), "runtime": runtime.message}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    note = created_note(setup)
    if note:
        print(note)
    stored = f" {', '.join(sorted(plan.secrets))} stored in the system keyring." if plan.secrets else ""
    print(f'Added "{name}" ({item.name}) to {connectors.path}.{stored}')
    print(f"{runtime.message} Check it with: plugboard doctor {name}")
    print("Restart Claude Desktop to use it (plugboard claude restart).")
    return 0
