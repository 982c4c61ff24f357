"""Importing servers from another MCP client into Claude's config: a preview first, then apply.

`preview_import` turns each `ForeignServer` into an `ImportItem` that says what will happen, before anything is
written:

- action `new` (added), `same` (an existing connector already runs the same thing: nothing to do), `conflict` (a
  different connector has that name: skipped, renamed or replaced as the caller chooses) or `unsupported` (with the
  reason; never written);
- kind `local` (becomes `plugboard run NAME [--secret K]... -- COMMAND ...`) or `remote` (Claude Desktop's file
  cannot hold `url` entries, FACTS.md A, so it becomes `plugboard proxy NAME URL [--header 'K: V']...
  [--bearer-secret K]`, with `${secret:KEY}` in header values — the syntax of `bridge.headers`); a remote its file
  marks as signing in with OAuth (`formats.OAuthMarker`) becomes `… --oauth [--client-id ID] [--scope S]`, and an
  `Authorization` header beside that marker is left out (the sign-in replaces it);
- `secrets`: plaintext values found in `env` or `headers` that look secret (`detect.looks_secret`): they go to the
  keyring (service `plugboard`, `NAME/KEY`), never into Claude's file. `ask`: keys whose value the file does not
  hold (`${input:x}`, `${env:X}`, …): the caller asks for them, or they are left for `plugboard secret set`.

Local entries always go through the launcher, even without secrets: it finds `npx`/`uvx` where Claude's bare PATH
does not (FACTS.md A, "Why local servers fail" 1). Disabled servers (Windsurf, Cline) are imported and then parked,
so they arrive switched off. Keys Claude strips (`cwd`, `autoApprove`, `timeout`, …) are named in the notes.

"Same" compares what runs, not the entry text: the real server's argv, plain env and secret names for a local
server; URL and headers for a remote one. So an existing plain `npx …` entry and our launcher entry for it match.

`apply_import` writes in order: secrets into the keyring, then the entry, then parking; the plaintext values are
passed as `scrub` when replacing, so the backup of Claude's file holds none of them. Nothing here prints or asks:
the CLI and the GUI pass `ask_secret` and show the result.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from plugboard.core.clients.formats import (
    REFERENCE,
    ForeignServer,
    client,
    read_client,
    references,
)
from plugboard.core.errors import PlugboardError
from plugboard.core.secrets.detect import key_name, looks_secret, name_looks_secret

NEW, SAME, CONFLICT, UNSUPPORTED = "new", "same", "conflict", "unsupported"
_DEFAULTED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")
CONFLICT_CHOICES = ("skip", "rename", "replace")
# How many "-2", "-3" … names a rename tries before giving up: far more than anyone has same-named servers.
MAX_RENAME_TRIES = 100


@dataclass
class ImportItem:
    server: ForeignServer
    name: str
    action: str
    kind: str
    entry: dict[str, Any] | None
    """What would be written into Claude's file (never a secret value); None when unsupported."""
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """Plaintext secrets found in the file, KEY → value, bound for the keyring."""
    ask: list[str] = field(default_factory=list)
    """Secret KEYs the file only refers to; their values must be asked for."""
    notes: list[str] = field(default_factory=list)
    existing: str | None = None
    """For a conflict: the name of the existing connector."""

    @property
    def disabled(self) -> bool:
        return self.server.disabled

    @property
    def secret_keys(self) -> list[str]:
        return [*self.secrets, *[k for k in self.ask if k not in self.secrets]]

    def summary(self) -> str:
        """One line for a person: what will happen to this server."""
        what = {
            NEW: "new",
            SAME: "already in Claude (same server): skipped",
            CONFLICT: f'conflicts with the existing, different "{self.existing}"',
            UNSUPPORTED: "cannot be imported",
        }[self.action]
        parts = [what]
        if self.action != UNSUPPORTED and self.kind == "remote":
            parts.append("remote → plugboard proxy")
        if self.secrets:
            parts.append(f"plaintext secret(s) {', '.join(self.secrets)} → keyring")
        if self.ask:
            parts.append(f"needs value(s) for {', '.join(self.ask)}")
        if self.disabled:
            parts.append("arrives switched off")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source_name": self.server.name,
            "scope": self.server.scope,
            "action": self.action,
            "kind": self.kind,
            "entry": self.entry,
            "secrets_to_keyring": list(self.secrets),
            "secrets_to_ask": list(self.ask),
            "disabled": self.disabled,
            "notes": list(self.notes),
            "existing": self.existing,
        }


@dataclass
class ImportPlan:
    client: str
    path: Path
    items: list[ImportItem]

    @property
    def moves_secrets(self) -> bool:
        return any(i.secrets for i in self.items if i.action in (NEW, CONFLICT))

    def to_json(self) -> dict[str, Any]:
        return {"client": self.client, "path": str(self.path), "servers": [i.to_json() for i in self.items]}


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    stored_secrets: list[tuple[str, str]] = field(default_factory=list)
    missing_secrets: list[tuple[str, str]] = field(default_factory=list)
    """(connector, KEY) that still need `plugboard secret set`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "replaced": self.replaced,
            "disabled": self.parked,
            "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
            "secrets_stored": [f"{c}/{k}" for c, k in self.stored_secrets],
            "secrets_missing": [f"{c}/{k}" for c, k in self.missing_secrets],
        }


# -- building entries ---------------------------------------------------------------------------------------


def _split_env(server: ForeignServer) -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """(plain env, plaintext secrets, keys to ask, notes)."""
    plain: dict[str, str] = {}
    secrets: dict[str, str] = {}
    ask: list[str] = []
    notes: list[str] = []
    from plugboard.core.secrets.keyring import KEY_PATTERN

    for name, value in server.env.items():
        default = _DEFAULTED.fullmatch(value)
        if default and not name_looks_secret(name):
            plain[name] = default.group(1)  # Claude Code's ${VAR:-default}: Claude Desktop has no VAR to read
            notes.append(f"env {name} takes its default value {default.group(1)!r}")
        elif references(value):
            if not KEY_PATTERN.match(name):
                notes.append(f"env {name} refers to a value elsewhere and is not a usable variable name: dropped")
                continue
            ask.append(name)
        elif looks_secret(name, value):
            if not KEY_PATTERN.match(name):
                notes.append(f"env {name!r} looks secret but is not a usable variable name: dropped")
                continue
            secrets[name] = value
        else:
            plain[name] = value
    return plain, secrets, ask, notes


def _escape_header(value: str) -> str:
    return value.replace("${", "$${")


def _header_args(server: ForeignServer) -> tuple[list[str], dict[str, str], list[str], list[str]]:
    """(proxy args for the headers, plaintext secrets, keys to ask, notes)."""
    args: list[str] = []
    secrets: dict[str, str] = {}
    ask: list[str] = []
    notes: list[str] = []
    for header, value in server.headers.items():
        refs = references(value)
        is_auth = header.lower() == "authorization"
        if refs:
            keys = {ref: key_name(ref) for ref in refs}
            ask += [k for k in keys.values() if k not in ask]
            parts: list[str] = []
            last = 0
            for match in REFERENCE.finditer(value):
                parts.append(_escape_header(value[last : match.start()]))
                parts.append("${secret:" + keys[match.group(1) or match.group(2)] + "}")
                last = match.end()
            parts.append(_escape_header(value[last:]))
            rendered = "".join(parts)
            if is_auth and rendered.startswith("Bearer ${secret:") and rendered.endswith("}") and len(keys) == 1:
                args += ["--bearer-secret", next(iter(keys.values()))]
            else:
                args += ["--header", f"{header}: {rendered}"]
        elif looks_secret(header, value):
            if is_auth and value.startswith("Bearer "):
                key = "BEARER_TOKEN"
                secrets[key] = value.removeprefix("Bearer ").strip()
                args += ["--bearer-secret", key]
            else:
                key = key_name(header)
                secrets[key] = value
                args += ["--header", f"{header}: ${{secret:{key}}}"]
        else:
            args += ["--header", f"{header}: {_escape_header(value)}"]
    return args, secrets, ask, notes


def _oauth_args(server: ForeignServer, name: str) -> tuple[list[str], list[str]]:
    """(proxy words for the server's OAuth marker, notes); no words when its file marks no OAuth."""
    from plugboard.core.bridge.oauth.entry import check_client_id, clean_scope

    marker = server.oauth
    if marker is None:
        return [], []
    words, notes = ["--oauth"], list(marker.notes)
    try:
        client_id = check_client_id(marker.client_id)
    except PlugboardError:
        client_id = None
        notes.append("its OAuth client id is not one Plugboard can use; Plugboard registers itself instead")
    try:
        scope = clean_scope(marker.scope)
    except PlugboardError:
        scope = None
        notes.append("its OAuth scopes are not valid scope names; the server's own are asked for")
    if client_id:
        words += ["--client-id", client_id]
    if scope:
        words += ["--scope", scope]
    notes.append(f"signs in with OAuth: after importing, run `plugboard login {name}`")
    return words, notes


def build_entry(name: str, server: ForeignServer) -> tuple[str, dict[str, Any], dict[str, str], list[str], list[str]]:
    """(kind, Claude entry, plaintext secrets, keys to ask, notes) for one foreign server."""
    from plugboard.core import install
    from plugboard.core.entries import LauncherEntry, ProxyEntry, is_plugboard_program, parse

    notes = [f"{key} is not supported by Claude Desktop and is left out" for key in server.dropped]
    if server.url is not None:
        if references(server.url):
            raise PlugboardError(f"its address {server.url} refers to a value kept elsewhere")
        oauth_args, oauth_notes = _oauth_args(server, name)
        if oauth_args and any(h.lower() == "authorization" for h in server.headers):
            oauth_notes.append("its Authorization header is left out: the OAuth sign-in replaces it")
            server = replace(server, headers={h: v for h, v in server.headers.items() if h.lower() != "authorization"})
        header_args, secrets, ask, header_notes = _header_args(server)
        header_notes += oauth_notes
        if server.env:
            header_notes.append("env of a remote server is not used by the proxy and is left out")
        if server.transport and server.transport.lower() == "sse":
            header_notes.append("uses the older HTTP+SSE transport; the proxy falls back to it by itself")
        words = ["proxy", name, server.url, *header_args, *oauth_args]
        proxy = parse({"command": install.entry_command(), "args": words})
        assert isinstance(proxy, ProxyEntry), "the header words are ours: they always parse"
        return "remote", proxy.to_json(), secrets, ask, notes + header_notes
    assert server.command is not None
    plain, secrets, ask, env_notes = _split_env(server)
    notes += env_notes
    for arg in server.args:
        if references(arg):
            notes.append(f"the argument {arg!r} refers to a value kept elsewhere; Claude will pass it as written")
        elif looks_secret("", arg) or any(looks_secret("", part) for part in arg.split("=", 1)[1:]):
            raise PlugboardError(
                "a secret is written in its command line, where Plugboard cannot keep it out of Claude's file; "
                "change the server to read it from an environment variable"
            )
    theirs = parse({"command": server.command, "args": list(server.args)})
    if isinstance(theirs, LauncherEntry | ProxyEntry):
        # Another install's launcher or proxy entry: ours now, under the name in Claude's file (status and logs
        # are kept under that name).
        own = replace(theirs, name=name, env=plain, program=install.entry_command())
        return ("remote" if isinstance(own, ProxyEntry) else "local"), own.to_json(), secrets, ask, notes
    if is_plugboard_program(server.command):
        raise PlugboardError("it runs a `plugboard` command Plugboard cannot read")
    keys = [*secrets, *[k for k in ask if k not in secrets]]
    entry = LauncherEntry.new(name, server.command, server.args, secrets=keys, env=plain)
    return "local", entry.to_json(), secrets, ask, notes


def signature(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an entry runs, for "same as existing": launcher wrapping and secret storage do not count."""
    from plugboard.core.entries import LauncherEntry, ProxyEntry, parse

    parsed = parse(entry)
    if isinstance(parsed, ProxyEntry):
        return ("remote", parsed.url, tuple(parsed.to_json()["args"][3:]))
    keys = parsed.secrets if isinstance(parsed, LauncherEntry) else ()
    return ("local", tuple(parsed.server_argv), tuple(sorted(parsed.env.items())), tuple(sorted(keys)))


def _same_secrets_moved(existing: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """An existing plain entry with plaintext env equals our entry when those env keys became keyring secrets."""
    old, fresh = signature(existing), signature(new)
    if old[0] != "local" or fresh[0] != "local" or old[1] != fresh[1]:
        return False
    old_env = dict(old[2])
    fresh_env = dict(fresh[2])
    return all(old_env.get(k) == v for k, v in fresh_env.items()) and set(old_env) == set(fresh_env) | set(fresh[3])


def preview_import(
    client_id: str, path: Path | str | None, connectors: Any, servers: Iterable[ForeignServer] | None = None
) -> ImportPlan:
    """What importing `client_id`'s file (default: its usual place) into `connectors` would do. Writes nothing."""
    client(client_id)
    if servers is None:
        source, found = read_client(client_id, Path(path) if path is not None else None)
    else:
        source, found = Path(path or "-"), list(servers)
    existing = {c.name: c for c in connectors.all()}
    items: list[ImportItem] = []
    used: set[str] = set()
    for server in found:
        name = server.name
        if name in used:  # the same name in two Claude Code scopes
            project = server.scope.removeprefix("project ").strip()
            name = f"{name}-{Path(project).name or 'project'}"
        used.add(name)
        if server.problem:
            items.append(ImportItem(server, name, UNSUPPORTED, "local", None, notes=[server.problem]))
            continue
        try:
            kind, entry, secrets, ask, notes = build_entry(name, server)
        except PlugboardError as exc:
            items.append(ImportItem(server, name, UNSUPPORTED, "local", None, notes=[str(exc)]))
            continue
        if server.scope:
            notes.insert(0, f"from {server.scope} scope")
        action = NEW
        other = existing.get(name)
        if other is not None:
            same = signature(other.entry) == signature(entry) or _same_secrets_moved(other.entry, entry)
            action = SAME if same else CONFLICT
        items.append(ImportItem(server, name, action, kind, entry, secrets, ask, notes, name if other else None))
    return ImportPlan(client_id, source, items)


def _free_name(name: str, taken: set[str]) -> str:
    for n in range(2, MAX_RENAME_TRIES + 2):
        candidate = f"{name}-{n}"
        if candidate not in taken:
            return candidate
    raise PlugboardError(f'no free name like "{name}-N"; rename it by hand')


def _renamed(item: ImportItem, name: str) -> ImportItem:
    kind, entry, secrets, ask, _notes = build_entry(name, item.server)
    return ImportItem(item.server, name, NEW, kind, entry, secrets, ask, item.notes, None)


def apply_import(
    plan: ImportPlan,
    connectors: Any,
    *,
    move_secrets: bool = True,
    conflicts: str = "skip",
    ask_secret: Callable[[str, str], str | None] | None = None,
    store_secret: Callable[[str, str, str], None] | None = None,
    only: Iterable[str] | None = None,
) -> ImportResult:
    """Write the plan: keyring first, then Claude's file, then park disabled ones. `only`: names to import.

    `move_secrets=False` skips servers holding plaintext secrets (they never go into Claude's file). `ask_secret`
    is called for each referenced secret not in the file; None or an empty answer leaves it for later.
    """
    if conflicts not in CONFLICT_CHOICES:
        raise PlugboardError(f"conflicts must be one of {', '.join(CONFLICT_CHOICES)}")
    if store_secret is None:
        from plugboard.core.secrets.keyring import backend, set_secret

        store_secret = set_secret
        if move_secrets and any(i.secrets or i.ask for i in plan.items):
            backend()  # no keyring: refuse before anything is written (KeyringUnavailable says what to do)
    wanted = set(only) if only is not None else None
    result = ImportResult()
    taken = {c.name for c in connectors.all()}
    for original in plan.items:
        if wanted is not None and original.name not in wanted:
            continue
        if original.action == UNSUPPORTED:
            result.skipped.append((original.name, original.notes[-1] if original.notes else "cannot be imported"))
            continue
        if original.action == SAME:
            result.skipped.append((original.name, "already in Claude"))
            continue
        item = original
        replace = False
        if original.action == CONFLICT:
            if conflicts == "skip":
                result.skipped.append((original.name, f'a different connector called "{original.name}" exists'))
                continue
            if conflicts == "rename":
                item = _renamed(original, _free_name(original.name, taken))
            else:
                replace = True
        if item.secrets and not move_secrets:
            result.skipped.append((item.name, "it holds plaintext secrets, which never go into Claude's file"))
            continue
        assert item.entry is not None
        for key, value in item.secrets.items():
            store_secret(item.name, key, value)
            result.stored_secrets.append((item.name, key))
        for key in item.ask:
            if key in item.secrets:
                continue
            answer = ask_secret(item.name, key) if ask_secret is not None else None
            if answer:
                store_secret(item.name, key, answer)
                result.stored_secrets.append((item.name, key))
            else:
                result.missing_secrets.append((item.name, key))
        if replace:
            connectors.replace(item.name, item.entry, scrub=list(item.secrets.values()))
            result.replaced.append(item.name)
        else:
            connectors.add(item.name, item.entry)
            result.added.append(item.name)
        taken.add(item.name)
        if item.disabled:
            connectors.disable(item.name)
            result.parked.append(item.name)
    return result


def secret_set_hint(missing: Iterable[tuple[str, str]]) -> list[str]:
    return [f"plugboard secret set {shlex.quote(c)} {k}" for c, k in missing]
