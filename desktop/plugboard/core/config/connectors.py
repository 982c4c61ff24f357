"""Connectors: the entries of Claude's `mcpServers`, live or parked, and the operations on them.

Claude Desktop has no "disabled" flag (FACTS.md §A: unknown keys are stripped), so disabling *parks* an entry: its
exact text leaves Claude's file and is kept in Plugboard's store with what puts it back at the same place, between
the same neighbours and with the same bytes around it (`parking`). Enabling reverses it: disabling any set of
entries and enabling them again, in any order, gives back the identical file bytes.

Crash safety across the two files: disable writes the store first, then Claude's file; enable writes Claude's file
first, then the store. A crash in between leaves the entry in both places with the *same* text, which every
operation treats as live (and cleans up). Different texts under one name are a real clash and are refused.

A stale write-back must not lose an entry. Claude Desktop keeps the file it read in memory and may write that copy
back at any time (FACTS.md §A): an entry enabled while it runs is then gone from the file — and used to be gone for
good, since enabling dropped the parked copy. So when Claude Desktop is running, enabling keeps the record, marked
`"state": "enabled"` (*watched*) with the hash of the file Plugboard wrote, until the entry has been seen in a file
someone else wrote (Claude's next write kept it), or the apply flow confirms it (`confirm`: Claude restarted with
it). Until then `reconcile` — run by `open`, by `all` (every list and app reload) and before every change — puts a
watched entry that is missing from the file back at its place, and emits a `notices.Notice` saying so. Plugboard's
own writes update the hash, so they never count as someone else's.

Parked records carry the config path they came from, so parking in one Claude config does not show up in another.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plugboard.core import entries, notices
from plugboard.core.claude.discovery import Discovery, discover
from plugboard.core.config import claude_file as claude_config
from plugboard.core.config import parking
from plugboard.core.config.adding import check_name
from plugboard.core.config.backups import Backup, BackupSet
from plugboard.core.config.jsondoc import ConfigDocument, member_value
from plugboard.core.entries import Entry, LauncherEntry
from plugboard.core.errors import ClashError, NotFoundError, PlugboardError
from plugboard.core.files.locking import edit_lock
from plugboard.core.files.store import Store
from plugboard.core.paths import PlugboardDirs, plugboard_dirs

# A parked record's state: parked (disabled), or enabled but still watched against a stale write-back.
PARKED = "parked"
WATCHED = "enabled"


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
    def problem(self) -> str | None:
        """Why Claude Desktop cannot start this entry at all (no program: `claude_file.not_startable`), or None."""
        return claude_config.not_startable(self.entry)

    @property
    def address(self) -> str | None:
        """The web address of an entry that names one instead of a program (`{"url": …}`), or None."""
        return claude_config.web_address(self.entry)

    @property
    def kind(self) -> str:
        """ "remote" for a stdio→HTTP bridge (ours, mcp-remote, mcp-proxy) or an entry naming only a web address,
        else "local"."""
        if self.via_plugboard == "proxy" or self.address is not None:
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
    value = member_value(record["member_text"])
    return dict(value) if isinstance(value, dict) else {}


def _watched(record: dict[str, Any]) -> bool:
    return record.get("state") == WATCHED


def _digest(raw: bytes | None) -> str:
    return hashlib.sha256(raw or b"").hexdigest()


def _claude_desktop_running() -> bool:
    """Whether Claude Desktop runs now (and so holds a copy of the file it may write back)."""
    from plugboard.core.claude.app import ClaudeApp

    try:
        return ClaudeApp().status().running
    except Exception:  # a process table we cannot read: assume the risky case and keep the watch
        return True


class Connectors:
    """All operations on one Claude config file plus Plugboard's store."""

    def __init__(
        self,
        discovery: Discovery,
        dirs: PlugboardDirs | None = None,
        *,
        claude_running: Callable[[], bool] | None = None,
    ) -> None:
        self.discovery = discovery
        # The real file: one spelling per file for parked records and backups (relative, `~`, via a link), and
        # writes replace the link's target, not the link.
        self.path = discovery.path.expanduser().resolve()
        self.dirs = dirs or plugboard_dirs()
        self.store = Store(self.dirs)
        self._claude_running = claude_running or _claude_desktop_running

    @classmethod
    def open(cls, config_override: str | None = None) -> Connectors:
        """The connectors of the chosen config, with any watched entry Claude dropped put back (`reconcile`).

        A file that cannot be read now is left alone here: the command that opened it reports it.
        """
        connectors = cls(discover(config_override))
        with contextlib.suppress(PlugboardError):
            connectors.reconcile()
        return connectors

    # -- reading -----------------------------------------------------------------------------------------------

    def snapshot(self) -> claude_config.Snapshot:
        return claude_config.read(self.path)

    def _records(self, store: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """This config's records, parked and watched, in store order."""
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

    def _parked_records(self, store: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [r for r in self._records(store) if not _watched(r)]

    def all(self) -> list[Connector]:
        """Every connector in the file's order, switched-off ones at their places (after `reconcile`, whose failure is a
        notice)."""
        failure: PlugboardError | None = None
        try:
            self.reconcile()
        except PlugboardError as exc:
            failure = exc
        doc = self.snapshot().doc  # a file that cannot be read is the answer, not the failed check
        if failure is not None:
            notices.emit(
                notices.Notice(f"Could not put back the connectors you switched on: {failure}", "restore-failed")
            )
        live = [Connector(m.name, True, dict(m.value)) for m in doc.servers_members() if isinstance(m.value, dict)]
        records = [r for r in self._parked_records() if not self._is_leftover(doc, r)]
        by_name = {c.name: c for c in live}
        for record in records:
            by_name.setdefault(record["name"], Connector(record["name"], False, _parked_entry(record)))
        # Each switched-off one where it would come back (`parking.virtual_order`), so a list keeps its order
        # whether a connector is on or off, in this session and the next.
        return [by_name[name] for name in parking.virtual_order([c.name for c in live], records)]

    def get(self, name: str) -> Connector:
        for connector in self.all():
            if connector.name == name:
                return connector
        raise _no_connector(name, self.path)

    @staticmethod
    def _is_leftover(doc: ConfigDocument, record: dict[str, Any]) -> bool:
        """A parked record whose entry is live with the same text: a crash between the two writes."""
        return doc.entry(record["name"]) is not None and doc.member_text(record["name"]) == record["member_text"]

    def backups(self) -> list[Backup]:
        return BackupSet(self.dirs, self.path).list()

    # -- the watch on enabled entries (see the module docstring) ----------------------------------------------

    def reconcile(self) -> list[str]:
        """Put back watched entries missing from the file; stop watching those seen in a file someone else wrote.

        Returns the names put back (also emitted as a notice). Cheap when nothing is watched: one store read.
        """
        if not any(_watched(r) for r in self._records()):
            return []
        with edit_lock(self.dirs):
            watched = [r for r in self._records() if _watched(r)]
            if not watched:
                return []
            snapshot = self.snapshot()
            doc = snapshot.doc
            digest = _digest(snapshot.raw)
            seen = [r["name"] for r in watched if doc.entry(r["name"]) is not None and r.get("written") != digest]
            missing = [r for r in watched if doc.entry(r["name"]) is None]
            if missing:
                names = [r["name"] for r in missing]

                def edit(current: ConfigDocument) -> str:
                    records = self._records()
                    for record in records:
                        if _watched(record) and current.entry(record["name"]) is None:
                            others = [r for r in records if r is not record]
                            current = ConfigDocument(parking.unpark(current, record, others))
                    return current.text

                written = claude_config.apply_edit(self.path, edit, self.dirs, reason="put-back")
                self._settle(confirmed=seen, written=_digest(written.raw))
            elif seen:
                self._settle(confirmed=seen, written=None)
        if missing:
            listed = ", ".join(f'"{n}"' for n in names)
            notices.emit(
                notices.Notice(
                    f"Put {listed} back into {self.path}: switched on in Plugboard, but the file was written without "
                    "it (Claude Desktop writes back the copy it read when it started). Restart Claude Desktop to "
                    "load it (plugboard claude restart).",
                    "restored",
                    tuple(names),
                )
            )
            return names
        return []

    def confirm(self, names: Iterable[str]) -> None:
        """Stop watching `names`: Claude Desktop has read a file holding them (it restarted after the write)."""
        with edit_lock(self.dirs):
            self._settle(confirmed=list(names), written=None)

    def _settle(self, *, confirmed: list[str], written: str | None) -> None:
        """Drop the watched records of `confirmed`; give the others the hash of the file Plugboard just wrote."""
        key = str(self.path)
        wanted = set(confirmed)

        def mine(record: Any) -> bool:
            return isinstance(record, dict) and record.get("config") == key and _watched(record)

        def change(data: dict[str, Any]) -> None:
            data["parked"] = [r for r in data["parked"] if not (mine(r) and r["name"] in wanted)]
            for record in data["parked"]:
                if mine(record) and written is not None:
                    record["written"] = written

        if any(mine(r) for r in self.store.read()["parked"]):
            self.store.update(change)

    def _wrote(self, raw: bytes | None) -> None:
        """After any write of ours: watched entries compare later files with this one."""
        self._settle(confirmed=[], written=_digest(raw))

    # -- changes -----------------------------------------------------------------------------------------------

    def add(self, name: str, entry: dict[str, Any], *, index: int | None = None) -> None:
        check_name(name)
        problem, _repair = claude_config.entry_problem(name, entry)
        if problem:
            raise PlugboardError(problem)
        with edit_lock(self.dirs):
            self.reconcile()
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

            self._wrote(claude_config.apply_edit(self.path, edit, self.dirs, reason=f"add-{name}").raw)

    def replace(self, name: str, entry: dict[str, Any], *, scrub: Iterable[str] = ()) -> None:
        """Rewrite one entry, live or parked. `scrub`: plaintext values that must not reach the backup."""
        problem, _repair = claude_config.entry_problem(name, entry)
        if problem:
            raise PlugboardError(problem)
        scrub = tuple(scrub)
        with edit_lock(self.dirs):
            self.reconcile()
            doc = self.snapshot().doc
            if doc.entry(name) is not None:
                old_text = doc.member_text(name)
                written = self._edit_live(
                    name, lambda d: d.with_replaced(name, entry), reason=f"edit-{name}", scrub=scrub
                )
                self._drop_parked(name, only_text=old_text)  # a crash leftover of this entry, not another one
                # A watched copy of this entry now puts back the new text, should Claude drop it.
                new_text = ConfigDocument(written.decode("utf-8")).member_text(name)
                self.store.update(lambda data: _rewrite_records(data, str(self.path), name, new_text, WATCHED))
                return

            # The parked text goes back into this file on enable: write the new entry in the file's own style, as a
            # live replace would. (It is not under `mcpServers` where it is kept, so the document cannot splice it.)
            fresh = ConfigDocument(doc.with_added(name, entry))
            member_text = fresh.member_text(name)

            def change(data: dict[str, Any]) -> None:
                for record in data["parked"]:
                    if record.get("config") == str(self.path) and record["name"] == name and not _watched(record):
                        _rewrite_record(record, member_text)
                        return
                raise NotFoundError(f'no connector called "{name}" in {self.path}')

            self.store.update(change)

    def remove(self, name: str) -> None:
        with edit_lock(self.dirs):
            self.reconcile()
            doc = self.snapshot().doc
            if doc.entry(name) is not None:
                old_text = doc.member_text(name)
                self._edit_live(name, lambda d: d.without(name)[0], reason=f"remove-{name}")
                # A disabled connector of the same name is a different one: only a crash leftover goes too, and
                # the watch on this one (it is meant to be gone now).
                self._drop_parked(name, only_text=old_text)
                self._drop_watched(name)
                return
            if not self._drop_parked(name):
                raise _no_connector(name, self.path)

    def disable(self, name: str) -> None:
        with edit_lock(self.dirs):
            self.reconcile()
            snapshot = self.snapshot()
            doc = snapshot.doc
            if doc.entry(name) is None:
                if any(r["name"] == name for r in self._parked_records()):
                    return  # already disabled: idempotent
                raise _no_connector(name, self.path)
            for record in self._parked_records():
                if record["name"] == name and not self._is_leftover(doc, record):
                    raise ClashError(
                        f'a different disabled connector is already called "{name}"; '
                        "remove one of them (`plugboard remove`) before disabling"
                    )
            others = [r for r in self._records() if r["name"] != name]
            _text, fields = parking.park(doc, name, others)
            record = {"config": str(self.path), **fields, "state": PARKED, "parked_at": _now()}
            key = str(self.path)
            previous = [r for r in self._records() if r["name"] == name]

            def put(new: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
                def change(data: dict[str, Any]) -> None:
                    data["parked"] = [
                        r for r in data["parked"] if not (r.get("config") == key and r.get("name") == name)
                    ] + new

                return change

            self.store.update(put([record]))

            def edit(current: ConfigDocument) -> str:
                if current.entry(name) is None or current.member_text(name) != record["member_text"]:
                    raise PlugboardError(f'connector "{name}" was changed or removed')
                fresh_others = [r for r in self._records() if r["name"] != name]
                text, fresh = parking.park(current, name, fresh_others)
                if any(record.get(k) != v for k, v in fresh.items()):
                    # Neighbours moved: park the place that matches the file as it is now.
                    record.update(fresh)
                    self.store.update(put([record]))
                return text

            try:
                written = claude_config.apply_edit(
                    self.path, edit, self.dirs, base=snapshot.raw, reason=f"disable-{name}"
                )
            except BaseException:
                # The write may have happened before the failure (a folder fsync, a Ctrl-C after the rename): put
                # the records back as they were only if the entry is really still in the file, or it would be lost.
                with contextlib.suppress(PlugboardError):
                    if self.snapshot().doc.entry(name) is not None:
                        self.store.update(put(previous))
                raise
            self._wrote(written.raw)

    def enable(self, name: str, *, watch: bool | None = None) -> None:
        """Put a parked entry back. `watch`: keep its bytes watched against a stale write-back (see the module
        docstring); by default, when Claude Desktop is running now."""
        with edit_lock(self.dirs):
            self.reconcile()
            records = [r for r in self._parked_records() if r["name"] == name]
            if not records:
                if self.snapshot().doc.entry(name) is not None:
                    return  # already enabled
                raise _no_connector(name, self.path)
            record = records[-1]

            def edit(doc: ConfigDocument) -> str:
                if doc.entry(name) is not None:
                    if doc.member_text(name) == record["member_text"]:
                        return doc.text  # a crash leftover: already live
                    raise ClashError(
                        f'a different connector called "{name}" is already enabled; '
                        "remove or rename it before enabling this one"
                    )
                others = [r for r in self._records() if r is not record and r["name"] != name]
                return parking.unpark(doc, record, others)

            written = claude_config.apply_edit(self.path, edit, self.dirs, reason=f"enable-{name}")
            if watch if watch is not None else self._claude_running():
                # Claude holds a copy without this entry and may write it back: keep the bytes, watched.
                key = str(self.path)
                digest = _digest(written.raw)

                def keep_watching(data: dict[str, Any]) -> None:
                    kept = [r for r in data["parked"] if not (r.get("config") == key and r.get("name") == name)]
                    data["parked"] = [*kept, {**record, "state": WATCHED, "written": digest, "enabled_at": _now()}]

                self.store.update(keep_watching)
            else:
                self._drop_parked(name)
            self._wrote(written.raw)

    def restore(self, ref: str, safe: Callable[[bytes], bytes]) -> Backup:
        """Put a backup back (after backing up what is there now); `safe` turns its bytes into what may be written
        (`secure.restore` passes `secure.restorable`: a secret moved to the keychain never comes back in plain text).

        A watched entry the backup does not hold becomes disabled (kept, listed as off): the user chose that file,
        so it is not put back against their choice, and it is not lost either.
        """
        backup = BackupSet(self.dirs, self.path).find(ref)
        data = safe(backup.path.read_bytes())
        restored = claude_config.parse(backup.path, data)  # refuse a backup Claude could not read
        with edit_lock(self.dirs):
            claude_config.write_bytes(self.path, data, self.dirs, reason="before-restore")
            key = str(self.path)

            def unwatch(store: dict[str, Any]) -> None:
                for record in store["parked"]:
                    if record.get("config") == key and _watched(record) and restored.entry(record["name"]) is None:
                        record["state"] = PARKED

            if any(_watched(r) for r in self._records()):
                self.store.update(unwatch)
            self._wrote(data)
        return backup

    def put_back(self, data: bytes, *, reason: str) -> None:
        """Write exact bytes Plugboard wrote before (the wipe guard's restore), keeping the watch in step."""
        with edit_lock(self.dirs):
            claude_config.write_bytes(self.path, data, self.dirs, reason=reason)
            self._wrote(data)

    def _edit_live(
        self, name: str, change: Callable[[ConfigDocument], str], *, reason: str, scrub: tuple[str, ...] = ()
    ) -> bytes:
        """Write `change` of live entry `name`; refused if the file changed meanwhile and the entry is gone."""

        def edit(doc: ConfigDocument) -> str:
            if doc.entry(name) is None:
                raise NotFoundError(f'connector "{name}" is gone')
            return change(doc)

        written = claude_config.apply_edit(self.path, edit, self.dirs, scrub=scrub, reason=reason).raw
        self._wrote(written)
        return written or b""

    def _drop_parked(self, name: str, *, only_text: str | None = None) -> bool:
        """Forget the parked record(s) of `name`; with `only_text`, only one holding exactly that entry text."""
        key = str(self.path)

        def doomed(record: dict[str, Any]) -> bool:
            same = record.get("config") == key and record["name"] == name and not _watched(record)
            return same and (only_text is None or record["member_text"] == only_text)

        if not any(doomed(r) for r in self.store.read()["parked"]):
            return False

        def drop(data: dict[str, Any]) -> None:
            data["parked"] = [r for r in data["parked"] if not doomed(r)]

        self.store.update(drop)
        return True

    def _drop_watched(self, name: str) -> None:
        with edit_lock(self.dirs):
            self._settle(confirmed=[name], written=None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _rewrite_record(record: dict[str, Any], member_text: str) -> None:
    record["member_text"] = member_text
    # The old removal chunk held the old text; an older reader re-inserts just the member from now on.
    record["chunk"] = member_text
    record["mode"] = "rewritten"


def _rewrite_records(data: dict[str, Any], config: str, name: str, member_text: str, state: str) -> None:
    for record in data["parked"]:
        if record.get("config") == config and record.get("name") == name and record.get("state") == state:
            _rewrite_record(record, member_text)


def _no_connector(name: str, path: object) -> NotFoundError:
    return NotFoundError(
        f'no connector called "{name}" in {path}; `plugboard list` shows them',
        plain=f"There is no connector called “{name}” any more: Claude's settings file changed meanwhile.",
    )
