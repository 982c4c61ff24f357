"""Exporting Claude's connectors to another client's format, or to a shareable JSON file, without any secret.

Each connector is unwrapped to what really runs:

- `plugboard run NAME --secret K ... -- CMD ARGS` → `CMD ARGS` with env `K` set to the client's *reference* to K
  (`${env:K}` for Cursor and Windsurf, `${input:K}` plus an `inputs` prompt for VS Code, `${K}` for Claude Code,
  `<K>` for Cline and LM Studio, which have no interpolation, `${secret:K}` in the shareable file);
- `plugboard proxy NAME URL [--header ...] [--bearer-secret K]` → a remote entry (`url`, or Windsurf's
  `serverUrl`; `type` where the format wants one) with the headers, `${secret:K}` becoming references. A proxy
  with `--ssh` is only reachable through Plugboard's tunnel, so it is exported as the `plugboard proxy` command
  itself (it holds no secret: the keyring does). A proxy that signs in (`--oauth`) carries the target's OAuth
  marker where the format has one (`formats` docstring): `oauth` {clientId, scopes} for Claude Code and the
  shareable file, `oauth` {clientId} for VS Code, `auth` {CLIENT_ID, scopes} for Cursor; the others sign in by
  themselves when the server asks, so the address is enough. Tokens never leave the keyring;
- anything else as it is, except that env values, header values and arguments that look secret
  (`secrets.detect.looks_secret`) are replaced by references too. The keyring is never read here: no secret can be
  exported, whatever the entry holds.

Disabled connectors go out with `"disabled": true` where the format has that flag (Windsurf, Cline, shareable) and
are left out elsewhere. Writing merges into the target file: other keys and other servers stay; a server of the
same name that differs is kept unless `replace=True`.

The target belongs to another app, so writing it is careful:

- A target with comments (VS Code's JSONC, a hand-annotated Cursor file) is refused: re-serialising it would drop
  them. Exporting to a new file keeps theirs intact.
- The bytes read at the start are read again right before the replace; if the file changed meanwhile (the other
  app saved it), nothing is written. What is left is the instant between that check and the rename, which no
  file API closes without the other app's cooperation.
- No backup of the target is made. Another app's file may hold the user's own plaintext secrets (that is why the
  importer exists), and Plugboard's rule is that a secret never reaches a backup. The refusals above are what
  keep that file safe instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugboard.core.clients.formats import (
    ClientFormat,
    client,
    default_path,
    parse_json_text,
    read_client_bytes,
)
from plugboard.core.errors import PlugboardError
from plugboard.core.secrets.detect import key_name, looks_secret, value_looks_secret

SHAREABLE_MARK = {"format": "plugboard-shareable", "version": 1}


@dataclass
class Exported:
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """VS Code prompts for the referenced secrets."""
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    """Connector → the secret KEYs replaced by references (for the user: what to fill in)."""
    left_out: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ExportOutcome:
    path: Path | None
    written: list[str]
    kept: list[str]
    """Servers of the same name already in the target that differ and were kept (no `replace`)."""
    exported: Exported


class _Refs:
    def __init__(self, fmt: ClientFormat, exported: Exported, connector: str) -> None:
        self.fmt = fmt
        self.exported = exported
        self.connector = connector

    def ref(self, key: str) -> str:
        key = key_name(key)
        keys = self.exported.placeholders.setdefault(self.connector, [])
        if key not in keys:
            keys.append(key)
        if self.fmt.id == "vscode" and not any(i["id"] == key for i in self.exported.inputs):
            self.exported.inputs.append(
                {"type": "promptString", "id": key, "description": f"{key} for {self.connector}", "password": True}
            )
        return self.fmt.reference.format(key)


def _header_value(value: str, refs: _Refs) -> str:
    import re

    def fill(match: re.Match[str]) -> str:
        return "${" if match.group(1) is None else refs.ref(match.group(1))

    return re.sub(r"\$\$\{|\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}", fill, value)


def _oauth_marker(fmt: ClientFormat, client_id: str | None, scope: str | None) -> dict[str, Any] | None:
    """A `--oauth` proxy's marker in `fmt`'s words, or None where the format has none (or needs a client id)."""
    if fmt.id == "cursor" and client_id:
        return {"CLIENT_ID": client_id, **({"scopes": scope.split()} if scope else {})}
    if fmt.id == "vscode" and client_id:
        return {"clientId": client_id}
    if fmt.id in ("claude-code", "shareable"):
        marker = {"clientId": client_id, "scopes": scope}
        found = {k: v for k, v in marker.items() if v}
        return found if found or fmt.id == "shareable" else None
    return None


def portable_entry(name: str, entry: dict[str, Any], fmt: ClientFormat, exported: Exported) -> dict[str, Any]:
    """One Claude entry in `fmt`'s shape, every secret replaced by a reference."""
    from plugboard.core.bridge.headers import parse_header
    from plugboard.core.entries import LauncherEntry, ProxyEntry, is_plugboard_program, parse

    parsed = parse(entry)
    refs = _Refs(fmt, exported, name)
    env = dict(parsed.env)
    out: dict[str, Any]
    if isinstance(parsed, ProxyEntry):
        if parsed.ssh is None:
            out = {}
            if fmt.remote_type:
                out["type"] = fmt.remote_type
            out[fmt.url_key] = parsed.url
            sent: dict[str, str] = {}
            bearer = parsed.bearer_secret
            for header, value in (parse_header(spec) for spec in parsed.headers):
                if "${secret:" in value:
                    sent[header] = _header_value(value, refs)
                elif looks_secret(header, value):
                    sent[header] = refs.ref(header)
                else:
                    sent[header] = value.replace("$${", "${")
            if bearer:
                sent["Authorization"] = "Bearer " + refs.ref(bearer)
            if sent:
                out["headers"] = sent
            marker = _oauth_marker(fmt, parsed.client_id, parsed.scope) if parsed.oauth else None
            if marker is not None:
                out["auth" if fmt.id == "cursor" else "oauth"] = marker
            return out
        command, args, keys = parsed.program, parsed.to_json()["args"], list[str]()
    elif isinstance(parsed, LauncherEntry):
        command, args, keys = parsed.command, list(parsed.args), list(parsed.secrets)
        for key in keys:
            env[key] = refs.ref(key)
    elif is_plugboard_program(parsed.command) and parsed.args[:1] in (("run",), ("proxy",)):
        raise PlugboardError(f"{name}'s `plugboard {parsed.args[0]}` entry cannot be read")
    else:
        command, args, keys = parsed.command, list(parsed.args), list[str]()
    for key, value in list(env.items()):
        if key not in keys and looks_secret(key, value):
            env[key] = refs.ref(key)
    safe_args = []
    for index, arg in enumerate(args):
        flag, eq, value = arg.partition("=")
        if value_looks_secret(arg):
            safe_args.append(refs.ref(f"{name}_ARG_{index + 1}"))
        elif eq and value_looks_secret(value):
            safe_args.append(f"{flag}={refs.ref(flag.lstrip('-'))}")
        else:
            safe_args.append(arg)
    out = {}
    if fmt.local_type:
        out["type"] = fmt.local_type
    out["command"] = command
    out["args"] = safe_args
    if env:
        out["env"] = env
    return out


def export_connectors(connectors: Iterable[Any], client_id: str) -> Exported:
    """The connectors (`Connector`s, live and parked) in the client's format."""
    fmt = client(client_id)
    exported = Exported()
    for connector in connectors:
        if not connector.enabled and not fmt.has_disabled:
            exported.left_out.append((connector.name, f"it is switched off and {fmt.label} has no off switch"))
            continue
        try:
            entry = portable_entry(connector.name, connector.entry, fmt, exported)
        except PlugboardError as exc:
            exported.left_out.append((connector.name, str(exc)))
            continue
        if not connector.enabled:
            entry["disabled"] = True
        exported.servers[connector.name] = entry
    return exported


def export_document(
    exported: Exported, client_id: str, base: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """(the document to write, names written), merging `exported` into `base` (the target's content)."""
    fmt = client(client_id)
    doc: dict[str, Any] = dict(base or {})
    if client_id == "shareable":
        doc.setdefault("plugboard", dict(SHAREABLE_MARK))
    block = doc.get(fmt.servers_key)
    if block is None:
        block = {}
    if not isinstance(block, dict):
        raise PlugboardError(f'"{fmt.servers_key}" in the target file is not an object; nothing was written')
    block = dict(block)
    written: list[str] = []
    for name, entry in exported.servers.items():
        block[name] = entry
        written.append(name)
    doc[fmt.servers_key] = block
    if exported.inputs:
        inputs = [i for i in doc.get("inputs") or [] if isinstance(i, dict)]
        ids = {i.get("id") for i in inputs}
        doc["inputs"] = inputs + [i for i in exported.inputs if i["id"] not in ids]
    return doc, written


def write_export(
    connectors: Iterable[Any], client_id: str, path: Path | str | None = None, *, replace: bool = False
) -> ExportOutcome:
    """Export into the client's file (default: its usual place), merging with what is there."""
    from plugboard.core.files.atomic import write_atomic

    fmt = client(client_id)
    target = Path(path).expanduser() if path is not None else default_path(client_id)
    if not target.parent.is_dir():
        raise PlugboardError(
            f"the folder {target.parent} does not exist; is {fmt.label} installed? Give another PATH to export to"
        )
    exported = export_connectors(connectors, client_id)
    original = read_client_bytes(target)
    base: dict[str, Any] = {}
    if original is not None:
        from plugboard.core.config.repair import strip_comments_and_trailing_commas

        text = original.decode("utf-8-sig", "replace")
        if strip_comments_and_trailing_commas(text)[1]:
            raise PlugboardError(
                f"{target} has comments, which writing it again would remove; nothing was written. Export to a "
                f"new file instead (plugboard export {client_id} NEW_PATH): that keeps {fmt.label}'s file intact"
            )
        base = parse_json_text(text, target)
    found = base.get(fmt.servers_key)
    current: dict[str, Any] = found if isinstance(found, dict) else {}
    kept = [n for n, e in exported.servers.items() if n in current and current[n] != e and not replace]
    for name in kept:
        del exported.servers[name]
    doc, written = export_document(exported, client_id, base)
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if read_client_bytes(target) != original:
        raise PlugboardError(
            f"{target} changed while Plugboard was exporting (did {fmt.label} save it?); nothing was written. "
            "Run the export again"
        )
    write_atomic(target, data)
    return ExportOutcome(target, written, kept, exported)
