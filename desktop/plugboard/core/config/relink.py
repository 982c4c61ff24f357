"""Connectors that start another Plugboard: found (`links`) and pointed at the stable command path (`relink`).

An entry written by an older install names that install's program: a virtual environment that was deleted, a
bundle that was moved, or simply this install's own program rather than the per-user shim (core/install.py), which
works today and breaks at the next move or update. `links` says, for every launcher and proxy entry (live and
disabled), what its program leads to; `plugboard list`, `plugboard doctor` and the app's banner show the stale ones
(another Plugboard, or a file that is gone).

`relink` rewrites the `command` of every entry that does not name the shim yet, and nothing else: each one is a
replacement of that one JSON string inside the file's text (`ConfigDocument.with_command_replaced`), so keys, order,
spacing and every other entry keep their bytes. Live entries change in one `apply_edit` (which backs the file up
first, under the edit lock); disabled ones change in Plugboard's store, the parked text edited the same way so that
enabling puts back exactly what was there, with only the path changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugboard.core import install
from plugboard.core.config import claude_file
from plugboard.core.config.backups import Backup
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.jsondoc import ConfigDocument
from plugboard.core.files.locking import edit_lock
from plugboard.core.install import STALE_STATES, LinkState


@dataclass(frozen=True)
class Link:
    name: str
    enabled: bool
    command: str
    state: LinkState

    @property
    def stale(self) -> bool:
        """Broken or about to be: it starts another Plugboard, or one that is gone."""
        return self.state in STALE_STATES

    def explain(self) -> str:
        """One plain sentence about this connector's Plugboard path."""
        if self.state == "missing":
            return f"{self.name} starts Plugboard from {self.command}, which no longer exists"
        if self.state == "other":
            return f"{self.name} starts another copy of Plugboard, at {self.command}"
        if self.state == "direct":
            return f"{self.name} starts Plugboard from {self.command}, which breaks if Plugboard moves or updates"
        return f"{self.name} starts Plugboard through {self.command}"


@dataclass(frozen=True)
class Relinked:
    command: str
    """The path every changed entry names now."""
    changed: list[Link]
    """The entries as they were before."""
    backup: Backup | None
    """The copy of Claude's file saved before the write (None when no live entry changed)."""


def links(connectors: Connectors) -> list[Link]:
    """Every launcher and proxy entry, live then disabled, with what its `plugboard` path leads to."""
    return [
        Link(c.name, c.enabled, c.command, install.link_state(c.command)) for c in connectors.all() if c.via_plugboard
    ]


def stale(connectors: Connectors) -> list[Link]:
    return [link for link in links(connectors) if link.stale]


def relink(connectors: Connectors, *, dry_run: bool = False) -> Relinked:
    """Point every launcher and proxy entry at the stable command path (see the module docstring)."""
    target = install.entry_command()
    todo = [link for link in links(connectors) if link.command != target]
    if dry_run or not todo:
        return Relinked(target, todo, None)
    was = {link.name: link.command for link in todo}
    backup = None
    with edit_lock(connectors.dirs):
        live = {link.name for link in todo if link.enabled}
        if live:

            def edit(doc: ConfigDocument) -> str:
                text = doc.text
                for name in live:
                    current = ConfigDocument(text)
                    member = current.entry(name)
                    # Only an entry still naming the program we saw: the file may have changed since.
                    value = member.value if member is not None else None
                    if isinstance(value, dict) and value.get("command") == was[name]:
                        text = current.with_command_replaced(name, target)
                return text

            before = {b.path for b in connectors.backups()}
            claude_file.apply_edit(connectors.path, edit, connectors.dirs, reason="relink")
            backup = next((b for b in connectors.backups() if b.path not in before), None)
        parked = {link.name for link in todo if not link.enabled}
        if parked:
            key = str(connectors.path)

            def change(data: dict[str, Any]) -> None:
                for record in data["parked"]:
                    if record.get("config") == key and record.get("name") in parked:
                        _relink_record(record, target, was[record["name"]])

            connectors.store.update(change)
    return Relinked(target, todo, backup)


def _relink_record(record: dict[str, Any], target: str, was: str) -> None:
    old_member = record["member_text"]
    head, tail = '{"mcpServers": {', "}}"
    wrapped = ConfigDocument(head + old_member + tail)
    member = wrapped.entry(record["name"])
    if member is None or not isinstance(member.value, dict) or member.value.get("command") != was:
        return
    new_member = wrapped.with_command_replaced(record["name"], target)[len(head) : -len(tail)]
    # The removal chunk holds the member text plus the separator around it: change the member inside it.
    if old_member in record["chunk"]:
        record["chunk"] = record["chunk"].replace(old_member, new_member, 1)
    else:
        record["chunk"], record["mode"] = new_member, "rewritten"
    record["member_text"] = new_member
