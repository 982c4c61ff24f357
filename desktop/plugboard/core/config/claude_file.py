"""Reading, validating and safely rewriting Claude Desktop's `claude_desktop_config.json`.

Read: bytes → strict UTF-8 → strict JSON (`jsondoc`) → the schema Claude accepts (FACTS.md §A): `mcpServers` is an
object; each entry is an object with a non-empty string `command`, optional `args` (list of strings) and `env`
(string → string). Any failure is a `ConfigError` naming the file and, for syntax, line and column; when a safe
repair exists it is *offered* (`plugboard repair`), never performed silently. A file we cannot read is never written.

One exception keeps a file readable: an entry that is an object without a `command` — most often a remote server
written the way other clients write one (`{"url": …}`, `{"type": "http", "url": …}`, Windsurf's `{"serverUrl": …}`).
Claude Desktop cannot start such an entry (FACTS.md §A: remote `url` entries do not work), but it is one connector's
problem, not the file's: refusing the whole file hid every other connector and left nothing to fix it with.
`validate` lets it through, `not_startable` says in words what is wrong with it, and every write keeps its bytes as
they are (edits splice text; they never re-serialise an entry they do not change). Plugboard itself never writes
one: `entry_problem` still refuses it for an add or a replace. `clients.remote_entries` turns one into a
`plugboard proxy` entry.

Only a plain file is read, and at most `MAX_CONFIG_BYTES` of it: a named pipe in its place would block every
command forever, a link to a device (/dev/zero) would fill the memory. Both are refused in one line.

An existing file that is empty (or only whitespace) is *not* an empty config. Claude Desktop writes its file by
truncating it and then writing the new text, so a read can land in between; treating that as "no connectors" made
the next write drop every connector and top-level key. `read` waits up to `IN_FLUX_S` for such a file (or one that
ends mid-way) to fill, then refuses with a sentence that says so. A missing file is the only fresh config.

Write (`apply_edit`): under Plugboard's edit lock, read the file, compute the new text with a pure edit function,
check the result is valid, back the old bytes up, then — right before replacing — check the file still holds the
bytes we read. Claude Desktop or an editor may have rewritten it meanwhile: then we re-read and re-apply the edit if
it still applies, and refuse with a `ConflictError` if it does not. The replacement itself is atomic (`atomic`).
A missing file is created with mode 0600; an existing one keeps its mode. A read-only file (no write permission) is
refused, never replaced: someone protected it on purpose. A write that fails leaves no backup behind, so failures
never push good backups out of the `backups.KEEP` kept.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from plugboard.core.config.backups import Backup, BackupSet
from plugboard.core.config.jsondoc import (
    SERVERS_KEY,
    ConfigDocument,
    DuplicateKey,
    JsonSyntax,
    Unparsed,
    line_col,
)
from plugboard.core.errors import ConfigError, ConflictError, PlugboardError
from plugboard.core.files.atomic import remove_stale_temps, write_atomic
from plugboard.core.files.fd_io import NotPlainFile, TooLarge, read_plain_file
from plugboard.core.files.locking import edit_lock
from plugboard.core.install import refuse_if_translocated
from plugboard.core.paths import PlugboardDirs

# How often to re-read and re-apply when the file keeps changing under us before giving up.
MAX_EDIT_ATTEMPTS = 3
# Claude Desktop's truncate-then-write leaves the file empty for well under a millisecond; half a second also
# covers a loaded machine or a slow network home folder, and is short enough to wait for on every command.
IN_FLUX_S = 0.5
# How often to look again while waiting for an empty or cut-off file to fill: the window is usually far shorter.
IN_FLUX_POLL_S = 0.002
# Claude's config is a few kB (a big one with many connectors and long paths, tens of kB). Far beyond that is not
# a config, and reading it whole (a link to /dev/zero, a huge file) would only exhaust the memory.
MAX_CONFIG_BYTES = 32 * 2**20

REPAIRS = {
    "bom": "remove the byte-order mark",
    "comment": "remove the comments",
    "trailing-comma": "remove the trailing commas",
    "env-not-strings": "put the non-text env values in quotes",
}

Edit = Callable[[ConfigDocument], str]


@dataclass(frozen=True)
class Snapshot:
    """One read of the file: its exact bytes (None when it does not exist) and the parsed document."""

    path: Path
    raw: bytes | None
    doc: ConfigDocument

    @property
    def exists(self) -> bool:
        return self.raw is not None


def read_raw(path: Path) -> bytes | None:
    """The file's exact bytes, or None when it does not exist. Never blocks (a FIFO) nor reads without bound."""
    try:
        return read_plain_file(path, MAX_CONFIG_BYTES)
    except NotPlainFile as exc:
        raise ConfigError(path, f"is {exc.kind}, not a file; Claude Desktop's config must be a plain file") from exc
    except TooLarge as exc:
        raise ConfigError(
            path, f"is larger than {MAX_CONFIG_BYTES // 2**20} MB: that is not a Claude Desktop config Plugboard reads"
        ) from exc
    except PermissionError as exc:
        raise ConfigError(
            path, "permission denied: Plugboard cannot read it (check its owner and permissions)"
        ) from exc
    except OSError as exc:
        raise ConfigError(path, f"cannot be read: {exc.strerror or exc}") from exc


def is_blank(raw: bytes | None) -> bool:
    """An existing file holding nothing but whitespace: mid-write, or cut off — never a fresh config."""
    return raw is not None and not raw.strip(b" \t\r\n")


EMPTY_REASON = (
    "is empty (Claude Desktop may be writing it right now, or a write was cut off); nothing was changed. "
    "Try again in a moment; if it stays empty, `plugboard backups` lists the copies `plugboard restore` can put back"
)


def parse(path: Path, raw: bytes | None) -> ConfigDocument:
    if raw is None:
        return ConfigDocument("")
    if is_blank(raw):
        raise ConfigError(path, EMPTY_REASON)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        line, column = line_col(prefix, len(prefix))
        raise ConfigError(path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line=line, column=column) from exc
    try:
        doc = ConfigDocument(text)
    except JsonSyntax as exc:
        line, column = line_col(text, exc.pos)
        raise ConfigError(path, exc.message, line=line, column=column, repair=REPAIRS.get(exc.kind)) from exc
    except DuplicateKey as exc:
        line, column = line_col(text, exc.pos)
        raise ConfigError(path, f'"{exc.name}" appears twice in the same object', line=line, column=column) from exc
    validate(path, doc)
    return doc


def validate(path: Path, doc: ConfigDocument) -> None:
    """Check the parts Claude Desktop interprets; unknown keys are Claude's or the user's business, left alone."""
    member = doc.servers_member
    if member is None:
        return
    if doc.servers is None:
        line, column = line_col(doc.text, member.value_start)
        raise ConfigError(
            path,
            f'"{SERVERS_KEY}" must be an object ({{ ... }}), not {_kind(member.value)}',
            line=line,
            column=column,
        )
    assert doc.servers is not None
    for entry in doc.servers.members:
        if not_startable(entry.value) is not None:
            continue  # one connector's problem, shown on its row: not a reason to refuse the file
        problem, repair = entry_problem(entry.name, entry.value)
        if problem:
            line, column = line_col(doc.text, entry.key_start)
            raise ConfigError(path, problem, line=line, column=column, repair=repair)


def entry_problem(name: str, entry: Any) -> tuple[str | None, str | None]:
    """What is wrong with one `mcpServers` entry, in words, and the repair we can offer, if any."""
    if isinstance(entry, Unparsed):
        return f'connector "{name}" nests lists or objects too deeply for Plugboard to read', None
    if not isinstance(entry, dict):
        return f'connector "{name}" must be an object, not {_kind(entry)}', None
    command = entry.get("command")
    if "command" not in entry:
        return f'connector "{name}" has no "command"', None
    if not isinstance(command, str) or not command.strip():
        return f'connector "{name}" has a "command" that is not a non-empty text', None
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return f'connector "{name}" has "args" that are not a list of texts', None
    env = entry.get("env", {})
    if not isinstance(env, dict):
        return f'connector "{name}" has an "env" that is not an object', None
    for key, value in env.items():
        if not isinstance(value, str):
            return (
                f'connector "{name}" has env value "{key}" that is {_kind(value)}, not text',
                REPAIRS["env-not-strings"] if isinstance(value, int | float | bool) else None,
            )
    return None, None


# Where other clients write a remote server's address (`url`: Cursor, VS Code, Claude Code, Cline; `serverUrl`:
# Windsurf). Claude Desktop starts neither (FACTS.md §A).
ADDRESS_KEYS = ("url", "serverUrl")
NO_PROGRAM_AT_ADDRESS = "Claude Desktop can't start this one: it names a web address but no program"
NO_PROGRAM = "Claude Desktop can't start this one: it names no program to start"


def web_address(entry: Any) -> str | None:
    """The web address an entry without a `command` names (`url` or `serverUrl`), or None."""
    if not isinstance(entry, dict) or "command" in entry:
        return None
    for key in ADDRESS_KEYS:
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def not_startable(entry: Any) -> str | None:
    """Why Claude Desktop cannot start this entry, for an object without a `command` (see the module docstring);
    None for any other entry (a startable one, or one whose problem makes the whole file unreadable)."""
    if not isinstance(entry, dict) or "command" in entry:
        return None
    return NO_PROGRAM_AT_ADDRESS if web_address(entry) is not None else NO_PROGRAM


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, Unparsed):
        return "a list" if value.kind == "list" else "an object" if value.kind == "object" else "a value"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a text"


def read(path: Path) -> Snapshot:
    """Read and parse the file; an empty or cut-off file is given `IN_FLUX_S` to be written out first."""
    raw = settled_raw(path)
    return Snapshot(path, raw, parse(path, raw))


def settled_raw(path: Path) -> bytes | None:
    """`read_raw`, looking again for up to `IN_FLUX_S` while the file is empty or cut off (being written)."""
    raw = read_raw(path)
    deadline = time.monotonic() + IN_FLUX_S
    while _in_flux(raw) and time.monotonic() < deadline:
        time.sleep(IN_FLUX_POLL_S)
        raw = read_raw(path)
    return raw


def _in_flux(raw: bytes | None) -> bool:
    """Empty, or ending mid-way: what a reader sees while a truncate-then-write is under way."""
    if raw is None:
        return False
    if is_blank(raw):
        return True
    try:
        ConfigDocument(raw.decode("utf-8"))
    except JsonSyntax as exc:
        return exc.kind == "truncated"
    except (UnicodeDecodeError, DuplicateKey):
        return False
    return False


def check_writable(path: Path) -> None:
    """Refuse a file whose permissions say "do not write" (0444, say). Root may write anything, so the mode bits
    count as well as `os.access`. Never chmod it: the user (or their tooling) protected it on purpose."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise ConfigError(
            path,
            "is read-only, so Plugboard leaves it as it is; nothing was changed "
            "(make it writable, e.g. chmod u+w, if Plugboard should edit it)",
        )


class _Unset:
    pass


UNSET = _Unset()


def apply_edit(
    path: Path,
    edit: Edit,
    dirs: PlugboardDirs,
    *,
    base: bytes | _Unset | None = UNSET,
    scrub: Iterable[str] = (),
    reason: str = "edit",
) -> Snapshot:
    """Apply `edit` to the file as it is on disk and write the result safely. See the module docstring.

    `base` is the content the caller's edit was decided on (the GUI's view); when the disk no longer matches it,
    the edit is re-applied to the new content or refused. `scrub` lists plaintext values (secrets being moved to
    the keyring) that must not reach the backup this write makes.
    """
    scrub = tuple(s for s in scrub if s)
    refuse_if_translocated()
    with edit_lock(dirs):
        for _attempt in range(MAX_EDIT_ATTEMPTS):
            snapshot = read(path)
            changed_underneath = not isinstance(base, _Unset) and snapshot.raw != base
            try:
                new_text = edit(snapshot.doc)
            except PlugboardError as exc:
                if changed_underneath:
                    raise ConflictError(
                        f"{path} changed on disk since Plugboard read it, and the change no longer applies: {exc}"
                    ) from exc
                raise
            if new_text == snapshot.doc.text and snapshot.exists:
                return snapshot
            new_doc = ConfigDocument(new_text)
            validate(path, new_doc)
            if not path.parent.is_dir():
                raise ConfigError(
                    path,
                    "its folder does not exist (is Claude Desktop installed? open it once, "
                    "or choose the file with --config)",
                )
            check_writable(path)
            data = new_text.encode("utf-8")
            if _write_with_backup(path, snapshot.raw, data, dirs, reason=reason, scrub=scrub):
                return Snapshot(path, data, new_doc)
            # Written by someone else between our read and now: start over from the new content.
    raise ConflictError(f"{path} keeps changing on disk (is another program writing it?); nothing was written")


def write_bytes(
    path: Path, data: bytes, dirs: PlugboardDirs, *, reason: str, expected: bytes | _Unset | None = UNSET
) -> None:
    """Replace the file with exact bytes (restore, repair), backing up what is there first.

    `expected`: the content the caller decided on (a repair computed before asking "apply?"); if the file holds
    something else now, nothing is written.
    """
    refuse_if_translocated()
    with edit_lock(dirs):
        for _attempt in range(MAX_EDIT_ATTEMPTS):
            old = read_raw(path)
            if not isinstance(expected, _Unset) and old != expected:
                raise ConflictError(f"{path} changed on disk meanwhile; nothing was written (run the command again)")
            if old == data:
                return
            if not path.parent.is_dir():
                raise ConfigError(path, "its folder does not exist")
            check_writable(path)
            if _write_with_backup(path, old, data, dirs, reason=reason):
                return
    raise ConflictError(f"{path} keeps changing on disk (is another program writing it?); nothing was written")


def _write_with_backup(
    path: Path, old: bytes | None, data: bytes, dirs: PlugboardDirs, *, reason: str, scrub: tuple[str, ...] = ()
) -> bool:
    """Back `old` up, then replace the file with `data` if it still holds `old`. False (and no backup left) when
    someone else wrote it in between; a failed write raises and leaves no backup either, so the `KEEP` newest
    backups are always of contents that really were replaced. An empty `old` is never a backup worth keeping."""
    backups = BackupSet(dirs, path)
    backup: Backup | None = None
    if old is not None and not is_blank(old):
        backup = backups.save(old, reason=reason, scrub=scrub, rotate=False)
    try:
        # Someone mid-way through a truncate-then-write has not changed the file yet: wait for the end of it.
        if settled_raw(path) != old:
            _forget(backup)
            return False
        remove_stale_temps(path)
        write_atomic(path, data)
    except BaseException as exc:
        _forget(backup)
        if isinstance(exc, PermissionError):
            raise ConfigError(path, "permission denied: Plugboard cannot write it") from exc
        if isinstance(exc, OSError) and not isinstance(exc, ConfigError):
            raise ConfigError(path, f"cannot be written: {exc.strerror or exc}") from exc
        raise
    backups.rotate()
    return True


def _forget(backup: Backup | None) -> None:
    if backup is not None:
        with contextlib.suppress(FileNotFoundError):
            backup.path.unlink()
