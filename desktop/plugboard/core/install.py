"""Where this Plugboard is installed, and the stable `plugboard` command path that Claude's entries run.

Claude Desktop starts the program named in each entry for every connector, long after Plugboard wrote it. Writing
the path of the program itself (`.venv/bin/plugboard` in a checkout, `/opt/plugboard/plugboard`, a folder in
Downloads) breaks every connector when that folder is moved, deleted or replaced by an update. So entries name a
per-user **shim** whose own path never changes, and the shim leads to whichever install the user opened last:

    Linux    ~/.local/bin/plugboard                                   a symlink
    macOS    ~/Library/Application Support/Plugboard/bin/plugboard     a symlink
    Windows  %LOCALAPPDATA%\\Plugboard\\bin\\plugboard.exe             a copy of the command's files

`PLUGBOARD_HOME=DIR` puts the shim at DIR/bin/plugboard, like every other Plugboard file (tests, portable use).
Windows gets a copy because creating symlinks there needs administrator rights or developer mode. A frozen
`plugboard.exe` cannot run without its `_internal` folder, so the copy is the command's own file list, which the
bundle ships as `plugboard-command.files` (packaging/plugboard.spec); a `plugboard-shim.json` beside the copy says
which install it came from and what it holds, so a later start can tell whether it is current. A file that is in use
(a connector running from the copy) is renamed aside, which Windows allows for a running program, and replaced.

The app repairs the shim at each start (`repair_shim(take_over=True)`: the Plugboard opened last is the one Claude
uses). Building an entry (`entry_command`) only creates or mends a shim that leads nowhere; it never takes a working
shim away from another install. A file at the shim's path that Plugboard did not make (e.g. a `pip install --user`
console script) is left alone, and entries then name this install's own program.

`link_state` tells what an entry's `plugboard` path leads to, for `plugboard list`, `doctor`, the app's banner and
`plugboard relink` (core/config/relink.py).

macOS App Translocation: a quarantined app opened from a download runs from a random read-only path until the user
moves it to /Applications (FACTS.md §E.6). Any path written then would be gone at the next start, so `translocated`
detects it and `refuse_if_translocated` stops every write of Claude's file (core/config/claude_file.py) and of the
shim with a plain message. The check is the path test Apple's own tools show (the running program's path holds an
`/AppTranslocation/` folder), which needs no private API.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from plugboard.core.errors import PlugboardError

COMMAND_NAMES = {"posix": "plugboard", "nt": "plugboard.exe"}
APP_NAMES = {"posix": "plugboard-app", "nt": "plugboard-app.exe"}
COMMAND_FILES = "plugboard-command.files"
"""Beside a frozen bundle's executables: the command's files, relative to the bundle folder, the executable first."""
SHIM_RECORD = "plugboard-shim.json"
"""Beside a Windows shim copy: {"source": install folder, "files": {relative path: [size, mtime_ns]}}."""
TRANSLOCATION_MARK = "/AppTranslocation/"

ShimStatus = Literal["ok", "missing", "broken", "elsewhere", "foreign"]
"""ok: leads to this install. missing: nothing there. broken: leads nowhere (dangling link, copy of a gone install).
elsewhere: leads to another working Plugboard. foreign: a file Plugboard did not make."""
LinkState = Literal["current", "direct", "other", "missing"]
"""current: the shim. direct: this install's own program (works until it moves or updates). other: another
Plugboard (an old virtual environment, an older bundle). missing: the file is gone."""
STALE_STATES: tuple[LinkState, ...] = ("other", "missing")


def _system(system: str | None) -> str:
    return system or platform.system()


def _names(system: str) -> tuple[str, str]:
    kind = "nt" if system == "Windows" else "posix"
    return COMMAND_NAMES[kind], APP_NAMES[kind]


def shim_path(system: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """The per-user command path that Claude's entries name."""
    system = _system(system)
    env = os.environ if env is None else env
    home = home or Path.home()
    name = _names(system)[0]
    if env.get("PLUGBOARD_HOME"):
        return Path(env["PLUGBOARD_HOME"]).expanduser() / "bin" / name
    if system == "Darwin":
        return home / "Library" / "Application Support" / "Plugboard" / "bin" / name
    if system == "Windows":
        local = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(local) / "Plugboard" / "bin" / name
    return home / ".local" / "bin" / name


def installed_command(system: str | None = None) -> Path:
    """This install's own `plugboard` program: beside the frozen executable in a bundle, beside the interpreter in
    a virtual environment (or named by argv[0], or on PATH)."""
    system = _system(system)
    name = _names(system)[0]
    candidates: list[Path] = []
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys.executable).parent / name)
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name.lower() == name and argv0.is_absolute():
        candidates.append(argv0)
    candidates.append(Path(sys.executable).parent / name)
    if system == "Windows":  # a virtual environment's console scripts
        candidates.append(Path(sys.executable).parent / "Scripts" / name)
    shim = shim_path(system)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return _behind_shim(candidate.absolute()) if candidate.absolute() == shim else candidate.absolute()
    found = shutil.which("plugboard")
    if found:
        return _behind_shim(Path(found).absolute()) if Path(found).absolute() == shim else Path(found).absolute()
    raise PlugboardError(
        "cannot find the installed `plugboard` program to put in Claude's config; reinstall Plugboard",
        plain="Plugboard cannot find its own command program; reinstall Plugboard.",
    )


def _behind_shim(program: Path) -> Path:
    """The install the shim leads to: a link's target, or the install a Windows copy was made from."""
    if program.is_symlink():
        return program.resolve()
    try:
        record = json.loads((program.parent / SHIM_RECORD).read_text(encoding="utf-8"))
        return Path(record["source"]) / program.name
    except (OSError, ValueError, KeyError, TypeError):
        return program


def app_executable(system: str | None = None) -> Path | None:
    """The bundle's windowed app beside the running executable (None outside a bundle)."""
    if not getattr(sys, "frozen", False):
        return None
    candidate = Path(sys.executable).parent / _names(_system(system))[1]
    return candidate if candidate.is_file() else None


# -- macOS App Translocation ------------------------------------------------------------------------------------------


def translocated(executable: str | None = None, system: str | None = None) -> bool:
    """Whether macOS runs this app from a translocated (random, read-only) copy."""
    if _system(system) != "Darwin":
        return False
    return TRANSLOCATION_MARK in (executable or sys.executable)


def refuse_if_translocated(executable: str | None = None, system: str | None = None) -> None:
    if translocated(executable, system):
        raise PlugboardError(
            "Plugboard is running from a temporary copy that macOS made of the downloaded app, so nothing was "
            "changed. Move Plugboard to the Applications folder, then open it again from there."
        )


# -- the shim ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shim:
    path: Path
    status: ShimStatus
    leads_to: Path | None = None
    """The program the shim runs now (a link's target; a copy's source install), when known."""

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "elsewhere")


def check_shim(
    install: Path | None = None,
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Shim:
    """What the shim is now, compared with `install` (default: this install's program)."""
    system = _system(system)
    path = shim_path(system, env, home)
    install = install or installed_command(system)
    if system == "Windows":
        return _check_copy(path, install)
    if not path.is_symlink():
        return Shim(path, "foreign" if path.exists() else "missing")
    target = Path(os.path.join(path.parent, os.readlink(path)))
    if not path.exists():
        return Shim(path, "broken", target)
    if _same_file(path, install):
        return Shim(path, "ok", target)
    return Shim(path, "elsewhere" if _is_plugboard(target) else "foreign", target)


def repair_shim(
    install: Path | None = None,
    *,
    take_over: bool = True,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    executable: str | None = None,
) -> Shim:
    """Make the shim lead to `install` (default: this install) when it is missing or broken, and when it leads to
    another install if `take_over`. A foreign file is never replaced. Returns the shim as it is afterwards."""
    system = _system(system)
    install = install or installed_command(system)
    shim = check_shim(install, system=system, env=env, home=home)
    if shim.status in ("ok", "foreign") or (shim.status == "elsewhere" and not take_over):
        return shim
    refuse_if_translocated(executable, system)
    try:
        shim.path.parent.mkdir(parents=True, exist_ok=True)
        if system == "Windows":
            _copy_command(install, shim.path)
        else:
            _replace_link(shim.path, install)
    except OSError as exc:
        raise PlugboardError(
            f"cannot create {shim.path}, the command path Claude Desktop uses: {exc.strerror or exc}"
        ) from exc
    return check_shim(install, system=system, env=env, home=home)


def entry_command(
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    install: Path | None = None,
) -> str:
    """The `plugboard` path to write into a new entry: the shim (created or mended if it leads nowhere), or this
    install's own program when a foreign file holds the shim's place."""
    shim = repair_shim(install, take_over=False, system=system, env=env, home=home)
    if shim.usable:
        return str(shim.path)
    return str(install or installed_command(system))


def link_state(
    command: str,
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    install: Path | None = None,
) -> LinkState:
    """What an entry's `plugboard` path leads to (see `LinkState`)."""
    path = Path(command).expanduser()
    if not path.exists():
        return "missing"
    if path == shim_path(system, env, home):
        return "current"
    try:
        mine = install or installed_command(system)
    except PlugboardError:
        return "other"
    return "direct" if _same_file(path, mine) else "other"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_plugboard(path: Path) -> bool:
    return path.name.lower() in COMMAND_NAMES.values() and path.is_file()


def _replace_link(path: Path, target: Path) -> None:
    """Point the symlink at `target` in one step: a connector starting meanwhile sees the old link or the new."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target)
    try:
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


# -- Windows: a copy of the command ----------------------------------------------------------------------------------


def command_files(install: Path) -> list[str]:
    """The files the command needs, relative to its folder: the bundle's list, or the program alone (a virtual
    environment's console script finds its interpreter by absolute path, so a copy of it runs anywhere)."""
    listing = install.parent / COMMAND_FILES
    if listing.is_file():
        files = [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
        if files:
            return files
    return [install.name]


def _fingerprint(folder: Path, files: list[str]) -> dict[str, list[int]]:
    out = {}
    for name in files:
        stat = (folder / name).stat()
        out[name] = [stat.st_size, stat.st_mtime_ns]
    return out


def _check_copy(path: Path, install: Path) -> Shim:
    record_path = path.parent / SHIM_RECORD
    if not path.exists():
        return Shim(path, "missing")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        source = Path(record["source"])
        held = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return Shim(path, "foreign")
    source_program = source / path.name
    if source.resolve() == install.parent.resolve():
        try:
            fresh = _fingerprint(install.parent, command_files(install))
        except OSError:
            return Shim(path, "broken", source_program)
        return Shim(path, "ok" if fresh == held else "broken", source_program)
    return Shim(path, "elsewhere" if source_program.is_file() else "broken", source_program)


def _copy_command(install: Path, path: Path) -> None:
    folder = path.parent
    files = command_files(install)
    for old in folder.rglob("*.old-*"):  # set aside by an earlier copy while it ran; free by now, or next time
        with contextlib.suppress(OSError):
            old.unlink()
    for name in files:
        source = install.parent / name
        # The shim's own name wins over the bundle's (the same file, spelled as Claude's entries spell it).
        destination = path if name == install.name else folder / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(destination.name + f".{os.getpid()}.new")
        shutil.copy2(source, temporary)
        try:
            os.replace(temporary, destination)
        except PermissionError:
            # Windows will not overwrite a program or library in use, but lets it be renamed.
            os.replace(destination, destination.with_name(f"{destination.name}.old-{os.getpid()}"))
            os.replace(temporary, destination)
    record = {"source": str(install.parent.resolve()), "files": _fingerprint(install.parent, files)}
    (folder / SHIM_RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
