"""Turning an entry Claude Desktop cannot start (`{"url": …}`) into Plugboard's own remote connector.

Some tools and people write a remote server into Claude Desktop's file the way other clients take it:
`{"url": …}`, `{"type": "http", "url": …, "headers": {…}}`, Windsurf's `{"serverUrl": …}`. Claude Desktop starts
none of them (FACTS.md §A); `config.claude_file.not_startable` keeps such an entry one connector's problem instead of
the file's. The fix is the bridge Plugboard already has: `plugboard proxy NAME URL [--header 'K: V']...
[--bearer-secret KEY] [--oauth]`, built exactly as an import from another client builds it (`importing.build_entry`,
through `entries.ProxyEntry`), so an `Authorization: Bearer …` header or a header holding a token goes to the
keyring (`--bearer-secret KEY`, `${secret:KEY}` in a header) and never into Claude's file.

`plan_connect` decides without touching anything; `connect` carries a plan out in the order that loses nothing:
secrets into the keyring, then the entry replaced (the write backs up the old file with the secret values scrubbed),
then every older backup that still holds one of them is rewritten without it (`secure.scrub_backups`), as
`secure_all` does. A disabled (parked) entry is converted in Plugboard's store the same way (`Connectors.replace`).

Here, not in a command, so `plugboard repair` and the app's "Connect it through Plugboard" button apply the same
rules; nothing here prints or asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plugboard.core.clients.formats import read_entry
from plugboard.core.clients.importing import build_entry
from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.errors import PlugboardError


@dataclass(frozen=True)
class ConnectPlan:
    """What converting one entry would write. `secrets` never reach a file: they go to the keyring."""

    name: str
    url: str
    entry: dict[str, Any]
    """The `plugboard proxy` entry that replaces the old one (no secret value in it)."""
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """KEY → plaintext value found in the old entry's headers, bound for the keyring."""
    ask: list[str] = field(default_factory=list)
    """Keys the old entry only refers to (`${env:X}`, `${input:x}`): `plugboard secret set NAME KEY` sets them."""
    notes: list[str] = field(default_factory=list)
    scrub: tuple[str, ...] = field(default=(), repr=False)
    """Every text of the old entry that holds a secret (the value, and the header it was written in)."""


@dataclass(frozen=True)
class ConnectOutcome:
    name: str
    moved: list[str]
    """Keys moved into the keyring now."""
    missing: list[str]
    """Keys still to set (the old entry referred to a value kept elsewhere)."""
    scrubbed: int
    """Older backups rewritten so that none holds a moved value."""
    notes: list[str]


def convertible(connectors: Iterable[Connector]) -> list[Connector]:
    """The connectors that name a web address instead of a program, in list order."""
    return [c for c in connectors if c.address is not None]


def plan_connect(name: str, entry: dict[str, Any]) -> ConnectPlan:
    """The `plugboard proxy` entry for connector `name` (its `entry` as written). Changes nothing; raises a
    `PlugboardError` saying why, in words, when the entry cannot be converted."""
    from plugboard.core.bridge.url import url_problem
    from plugboard.core.config.claude_file import web_address

    url = web_address(entry)
    if url is None:
        raise PlugboardError(f"“{name}” does not name a web address; there is nothing to connect through Plugboard")
    problem = url_problem(url)
    if problem is not None:
        raise PlugboardError(f"“{name}” can't be connected through Plugboard: {problem}")
    server = read_entry(name, entry)
    if server.problem is not None:
        raise PlugboardError(f"“{name}” can't be connected through Plugboard: {server.problem}")
    try:
        _kind, new, secrets, ask, notes = build_entry(name, server)
    except PlugboardError as exc:
        raise PlugboardError(f"“{name}” can't be connected through Plugboard: {exc}") from exc
    values = set(secrets.values())
    # A bearer token leaves as the token alone, but the file held it as "Bearer <token>": scrub that text too.
    holders = {v for v in server.headers.values() if any(s in v for s in values)}
    return ConnectPlan(name, url, new, secrets, ask, notes, tuple(sorted(values | holders, key=len, reverse=True)))


def connect(connectors: Connectors, name: str) -> ConnectOutcome:
    """Convert connector `name` (enabled or disabled) into a `plugboard proxy` entry; see the module docstring.
    Refuses before anything changes when the plan is impossible, or when it moves secrets and there is no keyring."""
    from plugboard.core.config.secure import scrub_backups
    from plugboard.core.secrets.keyring import backend, set_secret

    plan = plan_connect(name, connectors.get(name).entry)
    if plan.secrets:
        backend()  # no keyring: refuse before anything is written (KeyringUnavailable says what to do)
    for key, value in plan.secrets.items():
        set_secret(name, key, value)
    connectors.replace(name, plan.entry, scrub=plan.scrub)
    scrubbed = scrub_backups(connectors.backups(), plan.scrub) if plan.scrub else 0
    missing = [k for k in plan.ask if k not in plan.secrets]
    return ConnectOutcome(name, list(plan.secrets), missing, scrubbed, plan.notes)
