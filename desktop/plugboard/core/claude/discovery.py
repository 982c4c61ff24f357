"""Find the `claude_desktop_config.json` Claude Desktop reads, and its log folder, on each OS.

Order of precedence: `--config PATH`, then `PLUGBOARD_CLAUDE_CONFIG`, then the per-OS location (FACTS.md §A):

- macOS: ~/Library/Application Support/Claude/ (logs: ~/Library/Logs/Claude).
- Windows, Microsoft Store / MSIX build: %LOCALAPPDATA%\\Packages\\Claude_*\\LocalCache\\Roaming\\Claude\\. The package
  virtualises %APPDATA%, so edits of the classic file are silently ignored by that build (anthropics/claude-code#25600).
  We prefer the MSIX folder whenever the package folder exists, and warn when a classic file exists beside it.
- Windows classic installer: %APPDATA%\\Claude\\.
- Linux (unofficial builds such as claude-desktop-debian): $XDG_CONFIG_HOME/Claude, default ~/.config/Claude.

Enterprise "Claude-3p" folders are not probed: it is unverified whether the MCP config lives there.
Everything takes `system`, `env` and `home` as arguments so tests can build fake trees for every OS on one machine.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAME = "claude_desktop_config.json"
MSIX_PACKAGE_GLOB = "Claude_*"


@dataclass(frozen=True)
class Discovery:
    path: Path
    """The config file to read and write (it may not exist yet)."""
    source: str
    """Why this file: "--config", "PLUGBOARD_CLAUDE_CONFIG", "macos", "windows-msix", "windows", "linux"."""
    logs_dir: Path | None
    """Claude Desktop's own log folder for this install, when we know where it is."""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exists(self) -> bool:
        return self.path.exists()


def discover(
    override: str | os.PathLike[str] | None = None,
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Discovery:
    env = os.environ if env is None else env
    system = system or platform.system()
    home = home or Path.home()
    if override:
        path = Path(override).expanduser()
        return Discovery(path=path, source="--config", logs_dir=_default_logs(system, env, home))
    from_env = env.get("PLUGBOARD_CLAUDE_CONFIG")
    if from_env:
        path = Path(from_env).expanduser()
        return Discovery(path=path, source="PLUGBOARD_CLAUDE_CONFIG", logs_dir=_default_logs(system, env, home))
    if system == "Darwin":
        return Discovery(
            path=home / "Library" / "Application Support" / "Claude" / CONFIG_NAME,
            source="macos",
            logs_dir=home / "Library" / "Logs" / "Claude",
        )
    if system == "Windows":
        return _discover_windows(env, home)
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return Discovery(
        path=config_home / "Claude" / CONFIG_NAME, source="linux", logs_dir=config_home / "Claude" / "logs"
    )


def _windows_roots(env: Mapping[str, str], home: Path) -> tuple[Path, Path]:
    appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    local = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData" / "Local"
    return appdata, local


def msix_claude_folders(local_appdata: Path) -> list[Path]:
    """Claude's data folders inside MSIX packages, newest package folder first."""
    packages = local_appdata / "Packages"
    if not packages.is_dir():
        return []
    found = [p for p in packages.glob(MSIX_PACKAGE_GLOB) if p.is_dir()]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [p / "LocalCache" / "Roaming" / "Claude" for p in found]


def _discover_windows(env: Mapping[str, str], home: Path) -> Discovery:
    appdata, local = _windows_roots(env, home)
    classic = appdata / "Claude" / CONFIG_NAME
    msix = msix_claude_folders(local)
    if not msix:
        return Discovery(path=classic, source="windows", logs_dir=appdata / "Claude" / "logs")
    chosen = msix[0] / CONFIG_NAME
    warnings: list[str] = []
    if classic.exists():
        warnings.append(
            f"Two Claude config files exist: {chosen} (Microsoft Store build, used) and {classic} (classic installer). "
            "The Store build ignores the classic file; Plugboard edits the Store one."
        )
    if len(msix) > 1:
        warnings.append(
            f"Several Claude packages found under {local / 'Packages'}; using the newest: {msix[0].parents[2]}"
        )
    return Discovery(path=chosen, source="windows-msix", logs_dir=msix[0] / "logs", warnings=tuple(warnings))


def _default_logs(system: str, env: Mapping[str, str], home: Path) -> Path | None:
    """Claude's log folder when the config path was given explicitly: the OS default install's."""
    if system == "Darwin":
        return home / "Library" / "Logs" / "Claude"
    if system == "Windows":
        return _discover_windows(env, home).logs_dir
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return config_home / "Claude" / "logs"
