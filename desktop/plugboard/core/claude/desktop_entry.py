"""Find and read freedesktop `.desktop` entries, and turn an `Exec=` line into an argument list.

Plugboard relaunches Linux builds of Claude Desktop (claude-desktop-debian and friends) the way the user's
menu would: from the application's desktop entry, so wrapper scripts, flags (`--ozone-platform`,
`--no-sandbox`) and environment set up by the packager are kept. Only what that needs is here:

- Search order follows the XDG Base Directory spec: `$XDG_DATA_HOME/applications` (default `~/.local/share`),
  then each of `$XDG_DATA_DIRS` (default `/usr/local/share:/usr/share`). The first folder holding a
  desktop-file id wins, as in every menu implementation, so a user's override hides the system copy.
- Entries with `Hidden=true`, or whose `TryExec` program is missing, count as absent (spec: "treat as
  deleted").
- `Exec=` is unescaped as the Desktop Entry spec says (string escapes first, then double-quote rules), and
  field codes are expanded for a launch with no files: `%f %F %u %U` and the deprecated codes vanish, `%i`
  becomes `--icon ICON`, `%c` the name, `%k` the entry's path, `%%` a percent sign.

There is no maintained pure-Python library for this in our dependency set (pyxdg is unmaintained and reads far
more than we need), so this small reader is ours; it never writes anything.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GROUP = "Desktop Entry"
DEFAULT_DATA_DIRS = ("/usr/local/share", "/usr/share")
# Field codes a launch without files or URLs drops (the deprecated %d %D %n %N %v %m included).
DROPPED_FIELD_CODES = frozenset("fFuUdDnNvm")


@dataclass(frozen=True)
class DesktopEntry:
    path: Path
    exec_line: str
    name: str | None = None
    icon: str | None = None

    def argv(self) -> list[str]:
        """The command to run for a launch with no files, field codes expanded."""
        return expand_field_codes(split_exec(self.exec_line), self)


def data_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """Folders that hold `applications/`, highest precedence first."""
    data_home = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    others = env.get("XDG_DATA_DIRS") or ":".join(DEFAULT_DATA_DIRS)
    dirs = [Path(data_home)]
    dirs += [Path(d) for d in others.split(":") if d]
    return dirs


def iter_entries(env: Mapping[str, str], home: Path) -> Iterator[tuple[str, Path]]:
    """(desktop-file id, path) for every entry, each id once, from the folder with the highest precedence."""
    seen: set[str] = set()
    for base in data_dirs(env, home):
        apps = base / "applications"
        if not apps.is_dir():
            continue
        try:
            paths = sorted(apps.rglob("*.desktop"))
        except OSError:
            continue
        for path in paths:
            entry_id = "-".join(path.relative_to(apps).parts)
            if entry_id in seen:
                continue
            seen.add(entry_id)
            yield entry_id, path


def read_entry(path: Path, env: Mapping[str, str] | None = None) -> DesktopEntry | None:
    """The entry's launch facts; None when unreadable, hidden, without Exec, or its TryExec is missing."""
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    values: dict[str, str] = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group != GROUP or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), value.strip())
    if values.get("Hidden", "").lower() == "true" or not values.get("Exec"):
        return None
    try_exec = values.get("TryExec")
    if try_exec and resolve_program(unescape_string(try_exec), env) is None:
        return None
    return DesktopEntry(path=path, exec_line=values["Exec"], name=values.get("Name"), icon=values.get("Icon"))


def find_entry(
    *,
    env: Mapping[str, str],
    home: Path,
    ids: Sequence[str] = (),
    executable: str | None = None,
) -> DesktopEntry | None:
    """The first entry whose Exec program is `executable`, else the first entry with one of the given ids.

    A match on the program is preferred over a match on the id: it names the very install that was running.
    """
    by_id: dict[str, DesktopEntry] = {}
    target = _real(executable) if executable else None
    for entry_id, path in iter_entries(env, home):
        wanted_id = entry_id in ids
        if target is None and not wanted_id:
            continue
        entry = read_entry(path, env)
        if entry is None:
            continue
        if target is not None and program_of(entry, env) == target:
            return entry
        if wanted_id:
            by_id.setdefault(entry_id, entry)
    for entry_id in ids:
        if entry_id in by_id:
            return by_id[entry_id]
    return None


def program_of(entry: DesktopEntry, env: Mapping[str, str]) -> str | None:
    """The real path of the program an entry runs, looking through a leading `env VAR=value ...`."""
    try:
        argv = entry.argv()
    except ValueError:
        return None
    if argv and Path(argv[0]).name == "env":
        argv = argv[1:]
        while argv and ("=" in argv[0] or argv[0].startswith("-")):
            argv = argv[1:]
    if not argv:
        return None
    return resolve_program(argv[0], env)


def resolve_program(program: str, env: Mapping[str, str]) -> str | None:
    """Real path of a program named in an entry (absolute, or found on the given PATH); None if missing."""
    if os.sep in program:
        return _real(program) if Path(program).is_file() else None
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    return _real(found) if found else None


def _real(path: str) -> str:
    return os.path.realpath(path)


def unescape_string(value: str) -> str:
    """The Desktop Entry `string` escapes: \\s \\n \\t \\r \\\\ (applied before Exec's own quoting rules)."""
    out: list[str] = []
    i = 0
    table = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value) and value[i + 1] in table:
            out.append(table[value[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def split_exec(exec_line: str) -> list[str]:
    """Split an Exec value into arguments (spec: double quotes group; inside them \\ escapes " ` $ \\).

    Raises ValueError on an unterminated quote, as the spec makes such a line invalid.
    """
    text = unescape_string(exec_line)
    args: list[str] = []
    current: list[str] = []
    has_arg = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            has_arg = True
            i += 1
            while True:
                if i >= len(text):
                    raise ValueError(f"unterminated quote in Exec line: {exec_line!r}")
                char = text[i]
                if char == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                    current.append(text[i + 1])
                    i += 2
                    continue
                if char == '"':
                    i += 1
                    break
                current.append(char)
                i += 1
            continue
        if char in " \t\n":
            if has_arg:
                args.append("".join(current))
                current, has_arg = [], False
            i += 1
            continue
        current.append(char)
        has_arg = True
        i += 1
    if has_arg:
        args.append("".join(current))
    return args


def expand_field_codes(args: Sequence[str], entry: DesktopEntry) -> list[str]:
    out: list[str] = []
    for arg in args:
        if arg == "%i":
            if entry.icon:
                out += ["--icon", entry.icon]
            continue
        expanded: list[str] = []
        i = 0
        while i < len(arg):
            if arg[i] == "%" and i + 1 < len(arg):
                code = arg[i + 1]
                i += 2
                if code == "%":
                    expanded.append("%")
                elif code == "c":
                    expanded.append(entry.name or "")
                elif code == "k":
                    expanded.append(str(entry.path))
                elif code in DROPPED_FIELD_CODES or code == "i":
                    pass
                else:
                    expanded.append("%" + code)
                continue
            expanded.append(arg[i])
            i += 1
        value = "".join(expanded)
        if value or not _only_field_codes(arg):
            out.append(value)
    return out


def _only_field_codes(arg: str) -> bool:
    """True for an argument made only of dropped field codes (it disappears instead of becoming "")."""
    codes = arg.split("%")
    return arg.startswith("%") and all(len(c) == 1 and c in DROPPED_FIELD_CODES for c in codes[1:]) and not codes[0]
