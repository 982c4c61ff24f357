"""Finding the program a connector names, the way a login shell would, for a process that has no login shell.

Claude Desktop starts servers with the GUI's PATH, which on macOS is `/usr/bin:/bin:/usr/sbin:/sbin`: no nvm,
volta, homebrew, `~/.local/bin`, asdf/mise/pyenv shims (FACTS.md A, "Why local servers fail" 1 and 3).
`resolve_command` searches PATH first (the user's explicit choice wins), then those places in a fixed order,
and returns an argv whose first element is an absolute path. `child_path` then puts that program's folder
first on the child's PATH, because `npx` is a `#!/usr/bin/env node` script and must find the `node` beside it,
not another one.

nvm: only the version named by the *default* alias (`$NVM_DIR/alias/default`, following alias chains like
`lts/iron`) is used; without an alias, the newest installed version. nvm's own PATH order gives the oldest
version (modelcontextprotocol/servers#64), which is the bug we are repairing, not a behaviour to copy.

Windows: `npx`/`npm` are `.cmd` batch files. CreateProcess cannot start a batch file by itself, and letting
Python do it implicitly mangles arguments, so any batch file (and `npx`/`npm` always) runs as `cmd /c <abs
path> ARGS` (FACTS.md A, "Why local servers fail" 2). The Windows search adds `%ProgramFiles%\\nodejs`,
`%APPDATA%\\npm`, nvm-windows' `NVM_SYMLINK` and volta's `%LOCALAPPDATA%\\Volta\\bin`.

Everything environmental is a parameter (`system`, `env`, `home`, `root`), so tests build fake trees; `root`
prefixes the fixed system folders (`/opt/homebrew/bin`, ...).
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from plugboard.core.errors import PlugboardError

WINDOWS_BATCH_COMMANDS = frozenset({"npx", "npm"})
DEFAULT_PATHEXT = ".COM;.EXE;.BAT;.CMD"

# What to tell a user when a command is nowhere: the runtime that provides it.
INSTALL_HINTS = {
    "npx": "Node.js (https://nodejs.org)",
    "npm": "Node.js (https://nodejs.org)",
    "node": "Node.js (https://nodejs.org)",
    "uvx": "uv (https://docs.astral.sh/uv/)",
    "uv": "uv (https://docs.astral.sh/uv/)",
    "python": "Python (https://www.python.org)",
    "python3": "Python (https://www.python.org)",
    "docker": "Docker Desktop (https://www.docker.com)",
    "bunx": "Bun (https://bun.sh)",
    "deno": "Deno (https://deno.com)",
}


class CommandNotFound(PlugboardError):
    """The program is on neither PATH nor any place runtimes are usually installed."""

    def __init__(self, command: str, searched: Sequence[Path]) -> None:
        self.command = command
        self.searched = list(searched)
        hint = INSTALL_HINTS.get(command.lower().removesuffix(".exe").removesuffix(".cmd"))
        install = f"install {hint}" if hint else f"install the program that provides `{command}`"
        where = ", ".join(str(p) for p in self.searched) or "nothing (no PATH)"
        super().__init__(
            f"cannot find `{command}`: searched PATH and {len(self.searched)} other folders ({where}); "
            f"{install}, or put its absolute path in the connector's command"
        )


@dataclass(frozen=True)
class Resolved:
    argv: list[str]  # argv[0] is absolute
    program: Path  # the file found (for `cmd /c x.cmd` this is x.cmd, not cmd.exe)


def _is_windows(system: str) -> bool:
    return system.lower().startswith("win")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", name)[:3])


def nvm_default_bin(nvm_dir: Path) -> Path | None:
    """The bin folder of the Node that nvm's default alias names (the newest one when there is no alias)."""
    versions_dir = nvm_dir / "versions" / "node"
    try:
        installed = sorted((p.name for p in versions_dir.iterdir() if p.is_dir()), key=_version_key)
    except OSError:
        return None
    if not installed:
        return None
    alias = "node"
    seen: set[str] = set()
    current = nvm_dir / "alias" / "default"
    while current.is_file() and str(current) not in seen:
        seen.add(str(current))
        alias = current.read_text(encoding="utf-8", errors="replace").strip()
        current = nvm_dir / "alias" / alias  # aliases chain: default -> lts/iron -> v20.11.1
    chosen: str | None = None
    if alias in ("node", "stable", "current", "") or alias.startswith("lts/"):
        # An unresolved lts/* alias (nvm writes its files on `nvm install --lts`): newest is the best guess.
        chosen = installed[-1]
    else:
        wanted = alias.removeprefix("v")
        matching = [v for v in installed if (v.removeprefix("v") + ".").startswith(wanted + ".")]
        chosen = matching[-1] if matching else None
    return versions_dir / chosen / "bin" if chosen else None


def search_dirs(system: str, env: Mapping[str, str], home: Path, root: Path = Path("/")) -> list[Path]:
    """Places GUI apps miss, in the order we try them (after PATH)."""
    dirs: list[Path] = []
    if _is_windows(system):
        for var, sub in (
            ("NVM_SYMLINK", ""),
            ("ProgramFiles", "nodejs"),
            ("APPDATA", "npm"),
            ("LOCALAPPDATA", "Volta/bin"),
        ):
            if env.get(var):
                dirs.append(Path(env[var]) / sub if sub else Path(env[var]))
        dirs += [home / ".local" / "bin", home / ".cargo" / "bin"]
        return dirs
    nvm = nvm_default_bin(Path(env.get("NVM_DIR") or home / ".nvm"))
    if nvm:
        dirs.append(nvm)
    dirs.append(Path(env.get("VOLTA_HOME") or home / ".volta") / "bin")
    dirs.append(Path(env.get("ASDF_DATA_DIR") or home / ".asdf") / "shims")
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    dirs.append(Path(env.get("MISE_DATA_DIR") or data_home / "mise") / "shims")
    dirs += [root / "opt" / "homebrew" / "bin", root / "usr" / "local" / "bin"]
    if env.get("UV_TOOL_BIN_DIR"):
        dirs.append(Path(env["UV_TOOL_BIN_DIR"]))
    if env.get("XDG_BIN_HOME"):
        dirs.append(Path(env["XDG_BIN_HOME"]))
    dirs += [home / ".local" / "bin", home / ".cargo" / "bin"]
    dirs.append(Path(env.get("PYENV_ROOT") or home / ".pyenv") / "shims")
    seen: set[Path] = set()
    return [d for d in dirs if not (d in seen or seen.add(d))]  # type: ignore[func-returns-value]


def _candidates(folder: Path, command: str, system: str, env: Mapping[str, str]) -> list[Path]:
    if not _is_windows(system) or Path(command).suffix:
        return [folder / command]
    exts = [e for e in (env.get("PATHEXT") or DEFAULT_PATHEXT).split(";") if e]
    return [folder / (command + ext.lower()) for ext in exts] + [folder / (command + ext) for ext in exts]


def _runnable(path: Path, system: str) -> bool:
    try:
        if not path.is_file():
            return False
    except OSError:
        return False
    return _is_windows(system) or os.access(path, os.X_OK)


def _wrap(program: Path, args: Sequence[str], command: str, system: str, env: Mapping[str, str]) -> Resolved:
    if _is_windows(system) and (
        program.suffix.lower() in (".cmd", ".bat") or Path(command).stem.lower() in WINDOWS_BATCH_COMMANDS
    ):
        root = env.get("SystemRoot") or env.get("SYSTEMROOT") or "C:\\Windows"
        comspec = env.get("COMSPEC") or env.get("ComSpec") or f"{root}\\System32\\cmd.exe"
        return Resolved([comspec, "/c", str(program), *args], program)
    return Resolved([str(program), *args], program)


def resolve_command(
    command: str,
    args: Sequence[str] = (),
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    root: Path = Path("/"),
) -> Resolved:
    """Find `command` and return the argv that starts it; `CommandNotFound` names every folder searched."""
    system = system or platform.system()
    env = os.environ if env is None else env
    home = home or Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if not command:
        raise PlugboardError("the connector has an empty command")
    has_separator = "/" in command or (_is_windows(system) and "\\" in command)
    if has_separator:
        path = Path(command).expanduser()
        if not path.is_absolute():
            # Claude may start us in `/` (FACTS.md A, 7): a relative path means nothing there.
            raise PlugboardError(f"the command `{command}` is a relative path; use an absolute path")
        if _runnable(path, system):
            return _wrap(path, args, command, system, env)
        raise PlugboardError(f"the command `{command}` does not exist or is not executable")
    sep = ";" if _is_windows(system) else ":"
    path_dirs = [Path(p) for p in env.get("PATH", env.get("Path", "")).split(sep) if p]
    extra = search_dirs(system, env, home, root)
    for folder in [*path_dirs, *extra]:
        for candidate in _candidates(folder, command, system, env):
            if _runnable(candidate, system):
                return _wrap(candidate.absolute(), args, command, system, env)
    raise CommandNotFound(command, extra)


def child_path(program: Path, env: Mapping[str, str], system: str | None = None) -> str:
    """The child's PATH: the found program's folder first, then the PATH we were given."""
    system = system or platform.system()
    sep = ";" if _is_windows(system) else ":"
    current = env.get("PATH", env.get("Path", ""))
    folder = str(program.parent)
    parts = [p for p in current.split(sep) if p and p != folder]
    return sep.join([folder, *parts])
