"""Backups of Claude's config, taken before every write Plugboard makes.

One file per write in `plugboard_dirs().backups`, named
`claude_desktop_config-SOURCE-YYYYmmdd-HHMMSS-ffffff-REASON.json` (UTC, sortable), mode 0600. SOURCE is a short
hash of the config file's path: a Windows machine with both the Store and the classic file, or a `--config` user,
has several configs, and a backup belongs to one of them (it is never listed for, or restored into, another).
The newest `KEEP` per config are kept; older ones are deleted once the write a backup was taken for has succeeded
(`save(rotate=False)`, then `rotate()`): a failed write removes its backup and never pushes a good one out.

A backup is the exact old bytes, except for `scrub` values: plaintext secrets that a `secure` write moves to the
keyring must not survive in a backup made from then on, so JSON strings equal to one are replaced by `SCRUBBED`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from plugboard.core.errors import NotFoundError
from plugboard.core.files.atomic import write_atomic
from plugboard.core.paths import PlugboardDirs, ensure_dir

# Enough to go back a couple of weeks of daily toggling, small enough (a few kB each) to never matter on disk.
KEEP = 20
PREFIX = "claude_desktop_config-"
SCRUBBED = "[moved to the keyring by Plugboard]"
_NAME = re.compile(r"^claude_desktop_config-([0-9a-f]{8})-(\d{8}-\d{6}-\d{6})-([a-z0-9-]+)\.json$")


def source_tag(config: Path) -> str:
    return hashlib.sha256(str(config).encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Backup:
    path: Path
    created: datetime
    reason: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size


class BackupSet:
    """The backups of one Claude config file."""

    def __init__(self, dirs: PlugboardDirs, config: Path, keep: int = KEEP) -> None:
        self.folder = dirs.backups
        self.tag = source_tag(config)
        self.keep = keep

    def save(self, data: bytes, *, reason: str, scrub: tuple[str, ...] = (), rotate: bool = True) -> Backup:
        for secret in scrub:
            # Replace whole JSON strings equal to the value (an env value is one), in either escaping: the backup
            # stays valid JSON, and a number or a longer text that merely contains the value is left alone.
            for spelled in {json.dumps(secret), json.dumps(secret, ensure_ascii=False)}:
                data = data.replace(spelled.encode("utf-8"), json.dumps(SCRUBBED).encode("utf-8"))
        ensure_dir(self.folder)
        now = datetime.now(UTC)
        slug = re.sub(r"[^a-z0-9-]+", "-", reason.lower()).strip("-") or "edit"
        path = self.folder / f"{PREFIX}{self.tag}-{now:%Y%m%d-%H%M%S-%f}-{slug}.json"
        while path.exists():  # two writes in the same microsecond
            now = now.replace(microsecond=(now.microsecond + 1) % 1_000_000)
            path = self.folder / f"{PREFIX}{self.tag}-{now:%Y%m%d-%H%M%S-%f}-{slug}.json"
        write_atomic(path, data, mode=0o600)
        if rotate:
            self.rotate()
        return Backup(path, now, slug)

    def list(self) -> list[Backup]:
        """Newest first."""
        if not self.folder.is_dir():
            return []
        found: list[Backup] = []
        for path in self.folder.iterdir():
            match = _NAME.match(path.name)
            if match and match.group(1) == self.tag:
                created = datetime.strptime(match.group(2), "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC)
                found.append(Backup(path, created, match.group(3)))
        found.sort(key=lambda b: b.path.name, reverse=True)
        return found

    def find(self, ref: str) -> Backup:
        """A backup by its number in `list()` (1 = newest), its file name, or a path to it."""
        backups = self.list()
        if ref.isdigit() and 1 <= int(ref) <= len(backups):
            return backups[int(ref) - 1]
        for backup in backups:
            if ref in (backup.name, str(backup.path)):
                return backup
        raise NotFoundError(
            f"no backup called {ref!r}; `plugboard backups` lists them", plain="That copy is not there any more."
        )

    def rotate(self) -> None:
        """Delete all but the newest `keep`."""
        for old in self.list()[self.keep :]:
            with contextlib.suppress(FileNotFoundError):
                old.path.unlink()


# -- labels for people ------------------------------------------------------------------------------------------

# What the app did just after taking a backup, by the reason's first word: "Before you switched off github".
_LABELS = {
    "add": "Before you added {name}",
    "edit": "Before you changed {name}",
    "remove": "Before you removed {name}",
    "disable": "Before you switched off {name}",
    "enable": "Before you switched on {name}",
}
_FIXED_LABELS = {
    "before-restore": "Before you restored an earlier copy",
    "before-repair": "Before Plugboard repaired the file",
    "wipe-guard": "Before Plugboard put back connectors Claude Desktop had dropped",
    "put-back": "Before Plugboard put back connectors Claude Desktop had dropped",
    "edit": "Before a change",
    "secure": "Before your tokens moved to the keychain",
    "before-undo": "Before you undid a restore",
}


def slug_name(name: str) -> str:
    """A connector name as it appears in a backup's reason (`BackupSet.save` slugs the reason)."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


def describe_reason(reason: str, names: Iterable[str] = ()) -> str:
    """What the change after a backup was, in words. `names`: connector names, to show a name as it is spelt
    (the reason holds it lower-cased, its spaces as dashes)."""
    if reason in _FIXED_LABELS:
        return _FIXED_LABELS[reason]
    verb, _, rest = reason.partition("-")
    if verb in _LABELS and rest:
        spelt = next((n for n in names if slug_name(n) == rest), rest)
        return _LABELS[verb].format(name=spelt)
    return "Before a change (" + reason.replace("-", " ") + ")"


def describe_time(when: datetime, now: datetime | None = None) -> str:
    """ "today 10:42", "yesterday 18:03", "Mon 3 Jun 10:42", "3 Jun 2024 10:42" in local time."""
    local = when.astimezone()
    today = (now or datetime.now(UTC)).astimezone().date()
    clock = f"{local:%H:%M}"
    days = (today - local.date()).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if 0 < days < 7:
        return f"{local:%a} {local.day} {local:%b} {clock}"
    if local.year == today.year:
        return f"{local.day} {local:%b} {clock}"
    return f"{local.day} {local:%b} {local.year} {clock}"


def describe(backup: Backup, names: Iterable[str] = (), now: datetime | None = None) -> str:
    """A backup named in words: "Before you switched off github — today 10:42"."""
    return f"{describe_reason(backup.reason, names)} — {describe_time(backup.created, now)}"
