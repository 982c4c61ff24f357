"""Reading, validating and safely rewriting Claude Desktop's `claude_desktop_config.json`.

Read: bytes → strict UTF-8 → strict JSON (`jsondoc`) → the schema Claude accepts (FACTS.md §A): `mcpServers` is an
object; each entry is an object with a non-empty string `command`, optional `args` (list of strings) and `env`
(string → string). Any failure is a `ConfigError` naming the file and, for syntax, line and column; when a safe
repair exists it is *offered* (`plugboard repair`), never performed silently. A file we cannot read is never written.

Write (`apply_edit`): under Plugboard's edit lock, read the file, compute the new text with a pure edit function,
check the result is valid, back the old bytes up, then — right before replacing — check the file still holds the
bytes we read. Claude Desktop or an editor may have rewritten it meanwhile: then we re-read and re-apply the edit if
it still applies, and refuse with a `ConflictError` if it does not. The replacement itself is atomic (`atomic`).
A missing file is created with mode 0600; an existing one keeps its mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugboard.core.atomic import remove_stale_temps, write_atomic
from plugboard.core.config.backups import BackupSet
from plugboard.core.config.jsondoc import SERVERS_KEY, ConfigDocument, DuplicateKey, JsonSyntax, line_col
from plugboard.core.errors import ConfigError, ConflictError, PlugboardError
from plugboard.core.locking import edit_lock
from plugboard.core.paths import PlugboardDirs

# How often to re-read and re-apply when the file keeps changing under us before giving up.
MAX_EDIT_ATTEMPTS = 3

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
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise ConfigError(
            path, "permission denied: Plugboard cannot read it (check its owner and permissions)"
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise ConfigError(path, f"cannot be read: {exc.strerror or exc}") from exc


def parse(path: Path, raw: bytes | None) -> ConfigDocument:
    if raw is None:
        return ConfigDocument("")
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
    if not isinstance(member.value, dict):
        line, column = line_col(doc.text, member.value_start)
        raise ConfigError(
            path,
            f'"{SERVERS_KEY}" must be an object ({{ ... }}), not {_kind(member.value)}',
            line=line,
            column=column,
        )
    assert doc.servers is not None
    for entry in doc.servers.members:
        problem, repair = entry_problem(entry.name, entry.value)
        if problem:
            line, column = line_col(doc.text, entry.key_start)
            raise ConfigError(path, problem, line=line, column=column, repair=repair)


def entry_problem(name: str, entry: Any) -> tuple[str | None, str | None]:
    """What is wrong with one `mcpServers` entry, in words, and the repair we can offer, if any."""
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


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a text"


def read(path: Path) -> Snapshot:
    raw = read_raw(path)
    return Snapshot(path, raw, parse(path, raw))


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
            if snapshot.raw is not None:
                BackupSet(dirs, path).save(snapshot.raw, reason=reason, scrub=scrub)
            if read_raw(path) != snapshot.raw:
                continue  # written by someone else between our read and now: start over from the new content
            remove_stale_temps(path)
            try:
                write_atomic(path, new_text.encode("utf-8"))
            except PermissionError as exc:
                raise ConfigError(path, "permission denied: Plugboard cannot write it") from exc
            except OSError as exc:
                raise ConfigError(path, f"cannot be written: {exc.strerror or exc}") from exc
            return Snapshot(path, new_text.encode("utf-8"), new_doc)
    raise ConflictError(f"{path} keeps changing on disk (is another program writing it?); nothing was written")


def write_bytes(
    path: Path, data: bytes, dirs: PlugboardDirs, *, reason: str, expected: bytes | _Unset | None = UNSET
) -> None:
    """Replace the file with exact bytes (restore, repair), backing up what is there first.

    `expected`: the content the caller decided on (a repair computed before asking "apply?"); if the file holds
    something else now, nothing is written.
    """
    with edit_lock(dirs):
        old = read_raw(path)
        if not isinstance(expected, _Unset) and old != expected:
            raise ConflictError(f"{path} changed on disk meanwhile; nothing was written (run the command again)")
        if old == data:
            return
        if not path.parent.is_dir():
            raise ConfigError(path, "its folder does not exist")
        if old is not None:
            BackupSet(dirs, path).save(old, reason=reason)
        remove_stale_temps(path)
        try:
            write_atomic(path, data)
        except OSError as exc:
            raise ConfigError(path, f"cannot be written: {exc.strerror or exc}") from exc
