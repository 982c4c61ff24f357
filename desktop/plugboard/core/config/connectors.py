"""Connectors: the entries of Claude's `mcpServers`, live or parked, and the operations on them.

Claude Desktop has no "disabled" flag (FACTS.md §A: unknown keys are stripped), so disabling *parks* an entry: its
exact text leaves Claude's file and is kept in Plugboard's store together with the `Removal` that puts it back at the
same place. Enabling reverses it; disable → enable gives back the identical file bytes.

Crash safety across the two files: disable writes the store first, then Claude's file; enable writes Claude's file
first, then the store. A crash in between leaves the entry in both places with the *same* text, which every
operation treats as live (and cleans up). Different texts under one name are a real clash and are refused.

Parked records carry the config path they came from, so parking in one Claude config does not show up in another.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plugboard.core import entries
from plugboard.core.claude.discovery import Discovery, discover
from plugboard.core.config import claude_file as claude_config
from plugboard.core.config.adding import check_name
from plugboard.core.config.backups import Backup, BackupSet
from plugboard.core.config.jsondoc import ConfigDocument, Removal
from plugboard.core.entries import Entry, LauncherEntry
from plugboard.core.errors import ClashError, NotFoundError, PlugboardError
from plugboard.core.locking import edit_lock
from plugboard.core.paths import PlugboardDirs, plugboard_dirs
from plugboard.core.store import Store


@dataclass(frozen=True)
class Connector:
    name: str
    enabled: bool
    entry: dict[str, Any]

    @property
    def command(self) -> str:
        return str(self.entry.get("command", ""))

    @property
    def args(self) -> list[str]:
        return [str(a) for a in self.entry.get("args", [])]

    @property
    def env(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.entry.get("env", {}).items()}

    @property
    def parsed(self) -> Entry:
        """The entry's typed form (`entries.parse`): a launcher, a proxy or a bare entry."""
        return entries.parse(self.entry)

    @property
    def via_plugboard(self) -> str | None:
        """ "run" or "proxy" when the entry starts one of Plugboard's own programs, else None."""
        return self.parsed.via

    @property
    def kind(self) -> str:
        """ "remote" for a stdio→HTTP bridge (ours, mcp-remote, mcp-proxy), else "local"."""
        if self.via_plugboard == "proxy":
            return "remote"
        words = " ".join([self.command, *self.args]).lower()
        if "mcp-remote" in words or "http://" in words or "https://" in words:
            return "remote"
        return "local"

    @property
    def secret_keys(self) -> list[str]:
        """The keyring secrets a launcher entry hands to its server (`--secret KEY`)."""
        parsed = self.parsed
        return list(parsed.secrets) if isinstance(parsed, LauncherEntry) else []

    @property
    def server_command(self) -> list[str]:
        """The real server's command line: what the launcher starts, else command + args."""
        return self.parsed.server_argv

    def to_json(self) -> dict[str, Any]:
        """For `plugboard list --json`: the server's own command line (what the launcher starts, for a launcher
        entry), and `via` ("run", "proxy" or null) saying whether Plugboard's launcher or proxy sits in front."""
        command, *args = self.server_command
        return {
            "name": self.name,
            "enabled": self.enabled,
            "kind": self.kind,
            "command": command,
            "args": args,
            "via": self.via_plugboard,
        }


def _parked_entry(record: dict[str, Any]) -> dict[str, Any]:
    parsed = json.loads("{" + record["member_text"] + "}")
    return dict(next(iter(parsed.values())))


def _removal(record: dict[str, Any]) -> Removal:
    return Removal(record["name"], record["member_text"], record["chunk"], record["mode"], int(record["index"]))


class Connectors:
    """All operations on one Claude config file plus Plugboard's store."""

    def __init__(self, discovery: Discovery, dirs: PlugboardDirs | None = None) -> None:
        self.discovery = discovery
        # The real file: one spelling per file for parked records and backups (relative, `~`, via a link), and
        # writes replace the link's target, not the link.
        self.path = discovery.path.expanduser().resolve()
        self.dirs = dirs or plugboard_dirs()
        self.store = Store(self.dirs)

    @classmethod
    def open(cls, config_override: str | None = None) -> Connectors:
        return cls(discover(config_override))

    # -- reading -----------------------------------------------------------------------------------------------

    def snapshot(self) -> claude_config.Snapshot:
        return claude_config.read(self.path)

    def _parked_records(self, store: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        data = store if store is not None else self.store.read()
        key = str(self.path)
        records = [r for r in data["parked"] if isinstance(r, dict) and r.get("config") == key]
        for record in records:
            if not isinstance(record.get("name"), str) or not isinstance(record.get("member_text"), str):
                raise PlugboardError(
                    f"{self.store.path}: a disabled connector's record is damaged (edited by hand?); "
                    "it was left untouched — fix or remove it there"
                )
        return records

    def all(self) -> list[Connector]:
        """Live entries in file order, then parked ones by name."""
        doc = self.snapshot().doc
        live = [Connector(m.name, True, dict(m.value)) for m in (doc.servers.members if doc.servers else ())]
        parked = [
            Connector(r["name"], False, _parked_entry(r))
            for r in self._parked_records()
            if not self._is_leftover(doc, r)
        ]
        return live + sorted(parked, key=lambda c: c.name.lower())

    def get(self, name: str) -> Connector:
        for connector in self.all():
            if connector.name == name:
                return connector
        raise NotFoundError(f'no connector called "{name}" in {self.path}; `plugboard list` shows them')

    @staticmethod
    def _is_leftover(doc: ConfigDocument, record: dict[str, Any]) -> bool:
        """A parked record whose entry is live with the same text: a crash between the two writes."""
        return doc.entry(record["name"]) is not None and doc.member_text(record["name"]) == record["member_text"]

    def backups(self) -> list[Backup]:
        return BackupSet(self.dirs, self.path).list()

    # -- changes -----------------------------------------------------------------------------------------------

    def add(self, name: str, entry: dict[str, Any], *, index: int | None = None) -> None:
        check_name(name)
        problem, _repair = claude_config.entry_problem(name, entry)
        if problem:
            raise PlugboardError(problem)
        with edit_lock(self.dirs):
            if any(r["name"] == name for r in self._parked_records()):
                raise ClashError(
                    f'a disabled connector is already called "{name}"; enable or remove it, or pick another name'
                )

            def edit(doc: ConfigDocument) -> str:
                if doc.entry(name) is not None:
                    raise ClashError(
                        f'a connector called "{name}" already exists; remove it first or pick another name'
                    )
                return doc.with_added(name, entry, index)

            claude_config.apply_edit(self.path, edit, self.dirs, reason=f"add-{name}")

    def replace(self, name: str, entry: dict[str, Any], *, scrub: Iterable[str] = ()) -> None:
        """Rewrite one entry, live or parked. `scrub`: plaintext values that must not reach the backup."""
        problem, _repair = claude_config.entry_problem(name, entry)
        if problem:
            raise PlugboardError(problem)
        scrub = tuple(scrub)
        with edit_lock(self.dirs):
            doc = self.snapshot().doc
            if doc.entry(name) is not None:
                old_text = doc.member_text(name)
                self._edit_live(name, lambda d: d.with_replaced(name, entry), reason=f"edit-{name}", scrub=scrub)
                self._drop_parked(name, only_text=old_text)  # a crash leftover of this entry, not another one
                return

            # The parked text goes back into this file on enable: write the new entry in the file's own style, as a
            # live replace would. (It is not under `mcpServers` where it is kept, so the document cannot splice it.)
            fresh = ConfigDocument(doc.with_added(name, entry))
            member_text = fresh.member_text(name)

            def change(data: dict[str, Any]) -> None:
                for record in data["parked"]:
                    if record.get("config") == str(self.path) and record["name"] == name:
                        record["member_text"] = member_text
                        # The removal chunk held the old text; keep only the re-insertable member from now on.
                        record["chunk"] = record["member_text"]
                        record["mode"] = "rewritten"
                        return
                raise NotFoundError(f'no connector called "{name}" in {self.path}')

            self.store.update(change)

    def remove(self, name: str) -> None:
        with edit_lock(self.dirs):
            doc = self.snapshot().doc
            if doc.entry(name) is not None:
                old_text = doc.member_text(name)
                self._edit_live(name, lambda d: d.without(name)[0], reason=f"remove-{name}")
                # A disabled connector of the same name is a different one: only a crash leftover goes too.
                self._drop_parked(name, only_text=old_text)
                return
            if not self._drop_parked(name):
                raise NotFoundError(f'no connector called "{name}" in {self.path}; `plugboard list` shows them')

    def disable(self, name: str) -> None:
        with edit_lock(self.dirs):
            snapshot = self.snapshot()
            doc = snapshot.doc
            if doc.entry(name) is None:
                if any(r["name"] == name for r in self._parked_records()):
                    return  # already disabled: idempotent
                raise NotFoundError(f'no connector called "{name}" in {self.path}; `plugboard list` shows them')
            for record in self._parked_records():
                if record["name"] == name and not self._is_leftover(doc, record):
                    raise ClashError(
                        f'a different disabled connector is already called "{name}"; '
                        "remove one of them (`plugboard remove`) before disabling"
                    )
            _new_text, removal = doc.without(name)
            record = {
                "config": str(self.path),
                "name": name,
                "member_text": removal.member_text,
                "chunk": removal.chunk,
                "mode": removal.mode,
                "index": removal.index,
                "parked_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }

            def park(data: dict[str, Any]) -> None:
                data["parked"] = [
                    r for r in data["parked"] if not (r.get("config") == str(self.path) and r["name"] == name)
                ]
                data["parked"].append(record)

            self.store.update(park)

            def edit(current: ConfigDocument) -> str:
                if current.entry(name) is None or current.member_text(name) != removal.member_text:
                    raise PlugboardError(f'connector "{name}" was changed or removed')
                text, fresh = current.without(name)
                if fresh != removal:
                    # Neighbours moved: park the removal that matches the file as it is now.
                    self.store.update(lambda data: _replace_record(data, record, fresh))
                return text

            try:
                claude_config.apply_edit(self.path, edit, self.dirs, base=snapshot.raw, reason=f"disable-{name}")
            except BaseException:
                # The write may have happened before the failure (a folder fsync, a Ctrl-C after the rename): drop
                # the parked copy only if the entry is really still in the file, or it would be lost.
                with contextlib.suppress(PlugboardError):
                    if self.snapshot().doc.entry(name) is not None:
                        self._drop_parked(name)
                raise

    def enable(self, name: str) -> None:
        with edit_lock(self.dirs):
            records = [r for r in self._parked_records() if r["name"] == name]
            if not records:
                if self.snapshot().doc.entry(name) is not None:
                    return  # already enabled
                raise NotFoundError(f'no connector called "{name}" in {self.path}; `plugboard list` shows them')
            record = records[-1]

            def edit(doc: ConfigDocument) -> str:
                if doc.entry(name) is not None:
                    if doc.member_text(name) == record["member_text"]:
                        return doc.text  # a crash leftover: already live
                    raise ClashError(
                        f'a different connector called "{name}" is already enabled; '
                        "remove or rename it before enabling this one"
                    )
                return doc.with_restored(_removal(record))

            claude_config.apply_edit(self.path, edit, self.dirs, reason=f"enable-{name}")
            self._drop_parked(name)

    def restore(self, ref: str) -> Backup:
        """Put a backup back (after backing up what is there now)."""
        from plugboard.core.config.secure import restorable

        backup = BackupSet(self.dirs, self.path).find(ref)
        data = restorable(backup.path.read_bytes())  # a secret moved to the keychain never comes back in plain text
        claude_config.parse(backup.path, data)  # refuse a backup Claude could not read
        claude_config.write_bytes(self.path, data, self.dirs, reason="before-restore")
        return backup

    def _edit_live(
        self, name: str, change: Callable[[ConfigDocument], str], *, reason: str, scrub: tuple[str, ...] = ()
    ) -> None:
        """Write `change` of live entry `name`; refused if the file changed meanwhile and the entry is gone."""

        def edit(doc: ConfigDocument) -> str:
            if doc.entry(name) is None:
                raise NotFoundError(f'connector "{name}" is gone')
            return change(doc)

        claude_config.apply_edit(self.path, edit, self.dirs, scrub=scrub, reason=reason)

    def _drop_parked(self, name: str, *, only_text: str | None = None) -> bool:
        """Forget the parked record(s) of `name`; with `only_text`, only one holding exactly that entry text."""
        key = str(self.path)

        def doomed(record: dict[str, Any]) -> bool:
            same = record.get("config") == key and record["name"] == name
            return same and (only_text is None or record["member_text"] == only_text)

        if not any(doomed(r) for r in self.store.read()["parked"]):
            return False

        def drop(data: dict[str, Any]) -> None:
            data["parked"] = [r for r in data["parked"] if not doomed(r)]

        self.store.update(drop)
        return True


def _replace_record(data: dict[str, Any], record: dict[str, Any], removal: Removal) -> None:
    for stored in data["parked"]:
        if stored.get("config") == record["config"] and stored["name"] == record["name"]:
            stored.update(chunk=removal.chunk, mode=removal.mode, index=removal.index)
