"""Start Plugboard at login, per OS, the way each desktop expects it.

- Linux (freedesktop): ~/.config/autostart/plugboard.desktop (XDG_CONFIG_HOME respected).
- macOS: a LaunchAgent, ~/Library/LaunchAgents/app.plugboard.plist, RunAtLoad.
- Windows: the per-user Run key, HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run, value "Plugboard".

`command` is what to run (the installed `plugboard` program). Linux and macOS are plain files and are tested here;
the Windows registry write is untested on this Linux machine.
"""

from __future__ import annotations

import contextlib
import os
import platform
import plistlib
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

LINUX_FILE = "plugboard.desktop"
MACOS_LABEL = "app.plugboard"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_VALUE = "Plugboard"


def autostart_path(
    system: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Path | None:
    system = system or platform.system()
    env = os.environ if env is None else env
    home = home or Path.home()
    if system == "Darwin":
        return home / "Library" / "LaunchAgents" / f"{MACOS_LABEL}.plist"
    if system == "Windows":
        return None
    config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return config / "autostart" / LINUX_FILE


def set_autostart(
    enabled: bool,
    command: Sequence[str],
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> None:
    system = system or platform.system()
    if system == "Windows":  # pragma: no cover - needs Windows
        _set_windows(enabled, command)
        return
    path = autostart_path(system, env, home)
    assert path is not None
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if system == "Darwin":
        data = plistlib.dumps({"Label": MACOS_LABEL, "ProgramArguments": list(command), "RunAtLoad": True})
        path.write_bytes(data)
    else:
        path.write_text(
            "[Desktop Entry]\nType=Application\nName=Plugboard\n"
            f"Exec={shlex.join(command)} gui\nX-GNOME-Autostart-enabled=true\n",
            encoding="utf-8",
        )


def autostart_enabled(
    system: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> bool:
    path = autostart_path(system, env, home)
    return path is not None and path.exists()


def _set_windows(enabled: bool, command: Sequence[str]) -> None:  # pragma: no cover - needs Windows
    if sys.platform != "win32":
        raise RuntimeError("the Run key exists only on Windows")
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if enabled:
            winreg.SetValueEx(key, WINDOWS_VALUE, 0, winreg.REG_SZ, subprocess.list2cmdline(list(command)))
        else:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, WINDOWS_VALUE)
