"""Which running processes are Claude Desktop, per OS, and which of them is the main one.

Process facts come from psutil through a small `ProcessTable` protocol, so tests hand in plain process lists
for every OS on one machine. Matching rules (FACTS.md §A):

- macOS: the bundle's main executable, `…/Claude.app/Contents/MacOS/Claude`. Helpers live in
  `Contents/Frameworks/Claude Helper*.app` and do not end that way.
- Windows: `claude.exe` **and** an executable path inside the classic install
  (`%LOCALAPPDATA%\\AnthropicClaude\\`) or the Microsoft Store package (`…\\WindowsApps\\Claude_*\\`). Claude
  Code's CLI is also `claude.exe` (or `claude`) but lives elsewhere (`~\\.local\\bin`, npm's folder), so the
  path is the filter.
- Linux (unofficial builds): a process whose name or executable is `claude-desktop`, or an Electron process
  whose arguments point into a `claude-desktop` folder (claude-desktop-debian's launcher `exec`s
  `/usr/lib/claude-desktop/…/electron … app.asar`). Claude Code's `claude` never matches.
- Anywhere: `PLUGBOARD_CLAUDE_EXECUTABLE=PATH` replaces those rules by "the process runs exactly this
  executable". It exists for installs we do not know (an AppImage in a custom folder) and for tests, which use
  it to match a stand-in process and nothing else on the machine.

Electron starts helpers (zygote, renderers, GPU, utility processes; Claude's built-in Node for MCP servers
runs as one) under the main process. The main process is the *parent-most* match: no ancestor of it matches.
Only it is asked to quit, and only it is waited for.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol

import psutil

EXECUTABLE_OVERRIDE_ENV = "PLUGBOARD_CLAUDE_EXECUTABLE"
LINUX_NAME = "claude-desktop"
MACOS_MAIN_SUFFIX = "/Claude.app/Contents/MacOS/Claude"
WINDOWS_EXE = "claude.exe"
WINDOWS_CLASSIC_DIR = "AnthropicClaude"
WINDOWS_MSIX_MARKER = "\\windowsapps\\claude_"


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    name: str
    exe: str | None
    cmdline: tuple[str, ...] = ()
    create_time: float = 0.0
    """With the pid, identifies the process across pid reuse."""


class ProcessTable(Protocol):
    def snapshot(self) -> list[ProcessInfo]:
        """Every live process we can see (zombies excluded: they have already exited)."""
        ...

    def is_running(self, proc: ProcessInfo) -> bool:
        """Whether this very process (pid and start time) has not exited yet."""
        ...


class PsutilProcessTable:
    """The machine's real process table."""

    def snapshot(self) -> list[ProcessInfo]:
        found: list[ProcessInfo] = []
        # process_iter reuses its Process objects by pid, and a Process caches exe() forever: a process that
        # exec'd since (claude-desktop-debian's launcher exec's Electron; `setsid --fork` exec's what it starts)
        # would keep its old executable. Fresh objects each time.
        psutil.process_iter.cache_clear()
        for proc in psutil.process_iter(["pid", "ppid", "name", "exe", "cmdline", "create_time", "status"]):
            info = proc.info
            if info.get("status") == psutil.STATUS_ZOMBIE:
                continue
            found.append(
                ProcessInfo(
                    pid=info["pid"],
                    ppid=info.get("ppid") or 0,
                    name=info.get("name") or "",
                    exe=info.get("exe") or None,
                    cmdline=tuple(info.get("cmdline") or ()),
                    create_time=info.get("create_time") or 0.0,
                )
            )
        return found

    def is_running(self, proc: ProcessInfo) -> bool:
        try:
            live = psutil.Process(proc.pid)
            if proc.create_time and abs(live.create_time() - proc.create_time) > 0.01:
                return False  # the pid was reused by another process
            return bool(live.status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            return True  # it exists; we are just not allowed to look closer


def is_claude(proc: ProcessInfo, *, system: str, env: Mapping[str, str], home: Path) -> bool:
    override = env.get(EXECUTABLE_OVERRIDE_ENV)
    if override:
        return _runs(proc, override)
    if system == "Darwin":
        return bool(proc.exe and proc.exe.endswith(MACOS_MAIN_SUFFIX))
    if system == "Windows":
        return windows_install_kind(proc, env, home) is not None
    return _is_linux_claude(proc)


def windows_install_kind(proc: ProcessInfo, env: Mapping[str, str], home: Path) -> str | None:
    """Install kind of Claude Desktop's claude.exe: "windows" (classic) or "windows-msix"; None if not it."""
    if not proc.exe or PureWindowsPath(proc.exe).name.lower() != WINDOWS_EXE:
        return None
    exe = _win_norm(proc.exe)
    if WINDOWS_MSIX_MARKER in exe:
        return "windows-msix"
    local = env.get("LOCALAPPDATA") or str(PureWindowsPath(str(home)) / "AppData" / "Local")
    classic_dir = _win_norm(str(PureWindowsPath(local) / WINDOWS_CLASSIC_DIR)) + "\\"
    if exe.startswith(classic_dir):
        return "windows"
    return None


def find_claude(
    procs: Sequence[ProcessInfo], *, system: str, env: Mapping[str, str], home: Path
) -> tuple[list[ProcessInfo], list[ProcessInfo]]:
    """(main processes, all matching processes), each in pid order. Two installs running give two mains."""
    matches = [p for p in procs if is_claude(p, system=system, env=env, home=home)]
    return parent_most(matches, procs), sorted(matches, key=lambda p: p.pid)


def parent_most(matches: Iterable[ProcessInfo], procs: Sequence[ProcessInfo]) -> list[ProcessInfo]:
    """The matches none of whose ancestors (through any process, matching or not) is also a match."""
    matched = {p.pid: p for p in matches}
    parent_of = {p.pid: p.ppid for p in procs}
    for p in matched.values():
        parent_of.setdefault(p.pid, p.ppid)
    mains = []
    for proc in matched.values():
        seen = {proc.pid}
        ancestor = parent_of.get(proc.pid, 0)
        is_main = True
        while ancestor and ancestor not in seen:
            if ancestor in matched:
                is_main = False
                break
            seen.add(ancestor)
            ancestor = parent_of.get(ancestor, 0)
        if is_main:
            mains.append(proc)
    return sorted(mains, key=lambda p: p.pid)


def _is_linux_claude(proc: ProcessInfo) -> bool:
    names = {proc.name}
    if proc.exe:
        names.add(PurePosixPath(proc.exe).name)
    if proc.cmdline:
        names.add(PurePosixPath(proc.cmdline[0]).name)
    if LINUX_NAME in names:
        return True
    is_electron = any(n.startswith("electron") for n in names if n)
    return is_electron and any(LINUX_NAME in PurePosixPath(arg).parts for arg in proc.cmdline[1:])


def _runs(proc: ProcessInfo, executable: str) -> bool:
    target = os.path.realpath(executable)
    candidates = [proc.exe] if proc.exe else []
    if proc.cmdline:
        candidates.append(proc.cmdline[0])
    return any(os.path.realpath(c) == target for c in candidates if c and os.path.isabs(c))


def _win_norm(path: str) -> str:
    return path.replace("/", "\\").lower()
