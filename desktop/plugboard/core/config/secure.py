"""Moving a connector's plaintext `env` values into the keyring (`plugboard secure NAME [KEY...]`).

`plan_secure` decides, without touching anything, what moves and what the entry becomes: the values named (or, with
none named, those `secrets.detect.looks_secret` calls secret; `DEBUG=1` stays a plain, visible setting) leave `env`,
and the entry starts the server through `plugboard run NAME --secret KEY ...` (keys it already took from the keyring
stay). `secure` carries a plan out: the values go to the keyring first, then the entry is rewritten with the values
passed as `scrub`, so the backup of Claude's file that the write makes does not hold them. A disabled (parked)
connector is rewritten in Plugboard's store the same way, so its kept copy loses the plaintext too.

Older backups made before the move may still hold a value: `secure` names them (`backups_holding`), and deleting
them is the caller's question to ask (`delete_backups`), because a backup is the user's way back.

Here, not in the command, so the command line and the app apply the same rules; nothing here prints or asks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from plugboard.core.config.backups import Backup
from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.entries import LauncherEntry, is_plugboard_program
from plugboard.core.errors import PlugboardError


@dataclass(frozen=True)
class SecurePlan:
    """What `secure` would do to one entry. `entry` is None when nothing is left to move."""

    entry: dict[str, Any] | None
    moved: dict[str, str]
    """KEY → the plaintext value that goes to the keyring (never shown, never written anywhere else)."""
    existing: list[str]
    """The keys the entry already takes from the keyring."""


@dataclass(frozen=True)
class SecureOutcome:
    moved: list[str]
    """The keys moved into the keyring now; empty when the entry had nothing left to move."""
    existing: list[str]
    """The keys the entry already took from the keyring before."""
    stale: list[Path]
    """Older backups of Claude's file that still hold one of the values."""


def plan_secure(name: str, entry: dict[str, Any], keys: Iterable[str] = ()) -> SecurePlan:
    """The plan for connector `name` (its `entry` as written), moving `keys` (or what looks secret). Changes nothing.

    An entry that already runs through the launcher with no plaintext left gives a plan with `entry` None.
    """
    from plugboard.core.secrets.detect import looks_secret
    from plugboard.core.secrets.keyring import check_key

    keys = list(keys)
    connector = Connector(name, True, entry)
    env = connector.env
    if connector.via_plugboard == "proxy":
        raise PlugboardError(
            f"{name} runs `plugboard proxy`; its token belongs in --bearer-secret, not env",
            plain=f"“{name}” reaches a remote server: its key is kept with that connection, not in these settings.",
        )
    if connector.via_plugboard is None and is_plugboard_program(connector.command):
        raise PlugboardError(
            f"{name}'s `plugboard` entry cannot be read; fix it by hand first",
            plain=f"Plugboard cannot read how “{name}” is set up; edit it by hand first.",
        )
    existing = connector.secret_keys
    command, *args = connector.server_command
    wanted = keys or sorted(k for k, v in env.items() if looks_secret(k, v))
    if not wanted:
        if existing:
            return SecurePlan(None, {}, existing)
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
    return SecurePlan(replace(launcher, extra=extra).to_json(), moved, existing)


def secure(connectors: Connectors, name: str, keys: Iterable[str] = ()) -> SecureOutcome:
    """Move connector `name`'s plaintext values (enabled or disabled) into the keyring and rewrite its entry.

    Refuses before anything changes when the plan is impossible or there is no keyring. Already secured: nothing is
    written, and the backups are searched for the values the keyring now holds.
    """
    from plugboard.core.secrets.keyring import backend, get_secret, set_secret

    plan = plan_secure(name, connectors.get(name).entry, keys)
    backend()  # refuse before anything changes when there is no keyring
    if plan.entry is None:
        values = [v for v in (get_secret(name, k) for k in plan.existing) if v]
    else:
        for key, value in plan.moved.items():
            set_secret(name, key, value)
        values = list(plan.moved.values())
        connectors.replace(name, plan.entry, scrub=values)
    return SecureOutcome(list(plan.moved), plan.existing, backups_holding(connectors.backups(), values))


def backups_holding(backups: Iterable[Backup], values: Iterable[str]) -> list[Path]:
    """Backup files that hold any of `values` as a JSON string (what an `env` value is), either escaping."""
    needles = set()
    for value in values:
        needles.add(json.dumps(value).encode("utf-8"))
        needles.add(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    found: list[Path] = []
    if not needles:
        return found
    for backup in backups:
        path = Path(backup.path)
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(n in data for n in needles):
            found.append(path)
    return found


def delete_backups(paths: Iterable[Path]) -> int:
    """Delete these backup files (those `secure` named); how many were deleted."""
    count = 0
    for path in paths:
        path.unlink(missing_ok=True)
        count += 1
    return count


# -- the app's one click: every plaintext secret, every backup ----------------------------------------------------


@dataclass(frozen=True)
class Plaintext:
    """A connector that keeps values that look secret in plain text in Claude's file (or in its parked copy)."""

    name: str
    keys: list[str]
    enabled: bool


@dataclass(frozen=True)
class SecureAllOutcome:
    moved: dict[str, list[str]]
    """Connector → the keys moved into the keychain."""
    scrubbed: int
    """Backups rewritten so they no longer hold a moved value."""
    failed: dict[str, str]
    """Connector → why it could not be secured (nothing of it changed)."""


def find_plaintext(connectors: Iterable[Connector]) -> list[Plaintext]:
    """The connectors whose `env` holds values that look secret (`secrets.detect.looks_secret`), in list order.
    A bridge entry (its token belongs in the keychain through `--bearer-secret`) and scrubbed placeholders are not
    counted."""
    from plugboard.core.config.backups import SCRUBBED
    from plugboard.core.secrets.detect import looks_secret

    found: list[Plaintext] = []
    for connector in connectors:
        if connector.via_plugboard == "proxy":
            continue
        keys = sorted(k for k, v in connector.env.items() if v != SCRUBBED and looks_secret(k, v))
        if keys:
            found.append(Plaintext(connector.name, keys, connector.enabled))
    return found


def scrub_bytes(data: bytes, values: Iterable[str]) -> bytes:
    """`data` with every JSON string equal to one of `values` replaced by `backups.SCRUBBED` (either escaping), as
    `BackupSet.save(scrub=...)` does for the backup a `secure` write makes."""
    from plugboard.core.config.backups import SCRUBBED

    for value in values:
        if not value:
            continue
        for spelled in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
            data = data.replace(spelled.encode("utf-8"), json.dumps(SCRUBBED).encode("utf-8"))
    return data


def scrub_backups(backups: Iterable[Backup], values: Iterable[str]) -> int:
    """Rewrite every backup that holds one of `values` without it (atomically, keeping its mode); how many."""
    from plugboard.core.files.atomic import write_atomic

    values = [v for v in values if v]
    count = 0
    for path in backups_holding(backups, values):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        write_atomic(path, scrub_bytes(data, values), mode=0o600)
        count += 1
    return count


def secure_all(connectors: Connectors, names: Iterable[str]) -> SecureAllOutcome:
    """Move the plaintext secrets of every connector in `names` into the keychain, then scrub every backup that still
    holds one of the moved values: no backup keeps a moved secret. A connector that cannot be secured is reported
    in `failed` and left as it was; the others are still secured."""
    moved: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    values: list[str] = []
    for name in names:
        try:
            plan = plan_secure(name, connectors.get(name).entry)
            outcome = secure(connectors, name)
        except PlugboardError as exc:
            failed[name] = str(exc)
            continue
        moved[name] = outcome.moved
        values += list(plan.moved.values())
    scrubbed = scrub_backups(connectors.backups(), values) if values else 0
    return SecureAllOutcome(moved, scrubbed, failed)


def restorable(data: bytes) -> bytes:
    """A backup's bytes made safe to restore: an entry holding a value that was moved to the keychain (the scrubbed
    placeholder, or the very value the keychain now holds for that connector and key) comes back as a launcher entry
    that takes it from the keychain, never with the plaintext — restoring never brings a moved secret back.

    Anything else is left byte for byte; a backup that cannot be parsed is returned unchanged (the caller refuses
    it)."""
    from plugboard.core.config.backups import SCRUBBED
    from plugboard.core.config.jsondoc import ConfigDocument, DuplicateKey, JsonSyntax
    from plugboard.core.secrets.keyring import get_secret

    try:
        doc = ConfigDocument(data.decode("utf-8"))
    except (UnicodeDecodeError, JsonSyntax, DuplicateKey):
        return data
    if doc.servers is None:
        return data

    def in_keychain(name: str, key: str, value: str) -> bool:
        try:
            return bool(value) and get_secret(name, key) == value
        except PlugboardError:  # no keychain: only the placeholders are known to be moved values
            return False

    text = doc.text
    for member in list(doc.servers.members):
        entry = member.value
        if not isinstance(entry, dict) or not isinstance(entry.get("env"), dict):
            continue
        keys = [
            k
            for k, v in entry["env"].items()
            if isinstance(v, str) and (v == SCRUBBED or in_keychain(member.name, str(k), v))
        ]
        if not keys:
            continue
        try:
            plan = plan_secure(member.name, entry, keys)
        except PlugboardError:
            continue
        if plan.entry is not None:
            text = ConfigDocument(text).with_replaced(member.name, plan.entry)
    return text.encode("utf-8") if text != doc.text else data


def restore(connectors: Connectors, ref: str) -> Backup:
    """Put backup `ref` back the safe way: an entry whose secret was moved to the keychain comes back taking it from
    there (`restorable`), never with the plaintext."""
    return connectors.restore(ref, restorable)
