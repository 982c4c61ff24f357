"""Claude Desktop as a running application: is it up, quit it, start it, restart it around a config write.

`ClaudeApp` is the one owner of "the Claude Desktop process" for the CLI (`plugboard claude status|restart`),
the GUI and the apply flow (DESIGN.md: quit → wait for exit → write → relaunch). It is Qt-free and blocking:
the GUI runs it on a worker thread. Everything it touches in the outside world is injected — OS name,
environment, home, the process table, the command runner, the clock — so every OS's behaviour is unit-tested
on one machine.

Per OS (FACTS.md §A):

- macOS: quit with `osascript -e 'tell application "Claude" to quit'` (the app's own Quit: it stops its MCP
  servers and saves state); relaunch with `open -a Claude`.
- Windows, classic installer: `taskkill /PID <main pid>` *without* /F, which asks the window to close;
  relaunch `%LOCALAPPDATA%\\AnthropicClaude\\claude.exe` (the Squirrel stub that starts the current version).
  Microsoft Store build: same close request; relaunch `explorer.exe
  shell:AppsFolder\\Claude_pzs8sxrjxfjjc!Claude` (a packaged app cannot be started by its exe path). Caveat:
  Claude on Windows may hide in the tray when its window is closed; then it does not exit, we say so after the
  bound, and the user quits from the tray icon.
- Linux (unofficial builds): SIGTERM to the main (parent-most) process only — Electron treats it as a normal
  quit and takes its helpers down. Relaunch from its desktop entry (one whose Exec runs the very executable
  that was running, else `claude-desktop.desktop`), else the recorded command line. The new process is started
  in its own session and is not our child (`setsid --fork`), so it outlives the CLI and never becomes our
  zombie.

Never SIGKILL / `taskkill /F` Claude: it may be in the middle of rewriting its config file. If it does not
quit within the bound, `restart` reports it and does not relaunch (nor call `between`, so no config is written
under a running Claude).
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from plugboard.core.claude.desktop_entry import find_entry
from plugboard.core.claude.discovery import Discovery, discover
from plugboard.core.claude.process import (
    EXECUTABLE_OVERRIDE_ENV,
    LINUX_NAME,
    ProcessInfo,
    ProcessTable,
    PsutilProcessTable,
    find_claude,
    windows_install_kind,
)
from plugboard.core.errors import PlugboardError

# Claude stops its MCP servers one by one before it exits; with a handful of servers that takes 10+ s
# (FACTS.md §A). 30 s leaves room for a slow machine while still telling a user within half a minute that
# something is stuck.
QUIT_TIMEOUT_S = 30.0
# How often we look whether Claude has exited: short enough that a restart feels immediate, long enough that
# re-reading the process table costs nothing noticeable.
POLL_INTERVAL_S = 0.1
# How often `quit` reports progress ("waiting for Claude Desktop to quit… 4 s").
PROGRESS_INTERVAL_S = 1.0
# osascript / taskkill / explorer / setsid --fork return as soon as the request is delivered; 15 s only
# catches a hung helper (osascript waits for the app's reply to the quit event, which can take a few seconds).
COMMAND_TIMEOUT_S = 15.0
# How long `restart` waits to see the new Claude process after starting it. The launch commands return before the
# app exists (`open`, `explorer.exe`, `setsid --fork`); Electron is up in 1-3 s warm, more from a cold disk cache.
START_TIMEOUT_S = 15.0

MACOS_APP_NAME = "Claude"
MSIX_APP_ID = "Claude_pzs8sxrjxfjjc!Claude"
LINUX_DESKTOP_IDS = (f"{LINUX_NAME}.desktop",)


@dataclass(frozen=True)
class ClaudeStatus:
    running: bool
    pids: tuple[int, ...]
    """Main (parent-most) Claude Desktop processes; Electron helpers are not listed."""
    executable: str | None
    """The main process's executable, when the OS lets us see it."""
    config: Discovery
    """The config file this install reads, with discovery warnings (the MSIX twin)."""
    install: str | None = None
    """Kind of install running: "macos", "windows", "windows-msix" or "linux" (None when not running)."""
    cmdline: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.config.warnings


@dataclass(frozen=True)
class RestartOutcome:
    was_running: bool
    quit: bool
    """Claude is down: it exited in time, or was not running."""
    relaunched: bool
    waited_s: float
    old_pids: tuple[int, ...] = ()
    new_pids: tuple[int, ...] = ()
    """The relaunched main processes; empty if they had not appeared within START_TIMEOUT_S."""
    message: str = ""
    """One sentence for the user."""

    @property
    def ok(self) -> bool:
        return self.quit and self.relaunched


class Runner(Protocol):
    """How ClaudeApp acts on the world; tests pass a recording fake."""

    def run(self, argv: Sequence[str]) -> int:
        """Run a short command to completion (bounded); its exit status."""
        ...

    def spawn_detached(self, argv: Sequence[str]) -> None:
        """Start a program that outlives us, in its own session, not as our child."""
        ...

    def terminate(self, pid: int) -> None:
        """Ask a process to quit (SIGTERM; POSIX only)."""
        ...


class SystemRunner:
    """The real runner."""

    def run(self, argv: Sequence[str]) -> int:
        try:
            done = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError as exc:
            raise PlugboardError(f"Cannot run {argv[0]}: it is not installed or not on PATH.") from exc
        except subprocess.TimeoutExpired as exc:
            raise PlugboardError(f"{argv[0]} did not finish within {COMMAND_TIMEOUT_S:.0f} s.") from exc
        return done.returncode

    def spawn_detached(self, argv: Sequence[str]) -> None:
        if os.name == "nt":
            flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
            _DETACHED_WINDOWS.append(
                subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    creationflags=flags,
                )
            )
            return
        # `setsid --fork` forks, starts a new session and returns at once, so the program is re-parented away
        # from us. The `sh … &` fallback (no util-linux) does the same but leaves SIGINT/SIGQUIT ignored in
        # the program, which POSIX requires for background jobs of a non-interactive shell; harmless for a GUI
        # app with no tty.
        setsid = shutil.which("setsid")
        wrapper = [setsid, "--fork"] if setsid else ["/bin/sh", "-c", '"$@" &', "sh"]
        try:
            starter = subprocess.Popen(
                [*wrapper, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise PlugboardError(f"Cannot start {argv[0]}: {exc.strerror or exc}.") from exc
        try:
            status = starter.wait(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            starter.kill()
            starter.wait()
            raise PlugboardError(f"Starting {argv[0]} did not return within {COMMAND_TIMEOUT_S:.0f} s.") from exc
        if status != 0:
            raise PlugboardError(f"Cannot start {argv[0]} (exit status {status}).")

    def terminate(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it exited on its own meanwhile: that is what we wanted
        except PermissionError as exc:
            raise PlugboardError(f"Not allowed to ask process {pid} (Claude Desktop) to quit.") from exc


# Windows has no zombies, but a Popen dropped while its process runs warns on garbage collection; keep them.
_DETACHED_WINDOWS: list[subprocess.Popen[bytes]] = []


class ClaudeApp:
    def __init__(
        self,
        system: str | None = None,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
        runner: Runner | None = None,
        processes: ProcessTable | None = None,
        *,
        config_override: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system or platform.system()
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.home = home or Path.home()
        self.runner: Runner = runner or SystemRunner()
        self.processes: ProcessTable = processes or PsutilProcessTable()
        self.config_override = config_override
        self._clock = clock
        self._sleep = sleep
        self._last_seen: ProcessInfo | None = None
        """The main process as it was before the last quit: what to relaunch on Linux."""
        self._last_install: str | None = None

    # -- looking ---------------------------------------------------------------------------------------------

    def status(self) -> ClaudeStatus:
        config = discover(self.config_override, system=self.system, env=self.env, home=self.home)
        mains = self._main_processes()
        if not mains:
            return ClaudeStatus(running=False, pids=(), executable=None, config=config)
        first = mains[0]
        return ClaudeStatus(
            running=True,
            pids=tuple(p.pid for p in mains),
            executable=first.exe or (first.cmdline[0] if first.cmdline else None),
            config=config,
            install=self._install_kind(first),
            cmdline=first.cmdline,
        )

    def _main_processes(self) -> list[ProcessInfo]:
        mains, _all = find_claude(self.processes.snapshot(), system=self.system, env=self.env, home=self.home)
        return mains

    def _install_kind(self, proc: ProcessInfo) -> str:
        if self.system == "Darwin":
            return "macos"
        if self.system == "Windows":
            return windows_install_kind(proc, self.env, self.home) or "windows"
        return "linux"

    # -- quitting --------------------------------------------------------------------------------------------

    def quit(self, timeout: float = QUIT_TIMEOUT_S, progress: Callable[[float], None] | None = None) -> bool:
        """Ask Claude Desktop to quit and wait until it has exited. True when it is down (or was not running).

        Never forces it: on timeout Claude keeps running and the answer is False.
        """
        mains = self._main_processes()
        if not mains:
            return True
        self._last_seen = mains[0]
        self._last_install = self._install_kind(mains[0])
        self._request_quit(mains)
        return self._wait_for_exit(mains, timeout, progress)

    def _request_quit(self, mains: Sequence[ProcessInfo]) -> None:
        if self.system == "Darwin":
            self.runner.run(["osascript", "-e", f'tell application "{MACOS_APP_NAME}" to quit'])
        elif self.system == "Windows":
            for proc in mains:
                self.runner.run(["taskkill", "/PID", str(proc.pid)])
        else:
            for proc in mains:
                self.runner.terminate(proc.pid)

    def _wait_for_exit(
        self, mains: Sequence[ProcessInfo], timeout: float, progress: Callable[[float], None] | None
    ) -> bool:
        start = self._clock()
        next_report = PROGRESS_INTERVAL_S
        while True:
            if not any(self.processes.is_running(p) for p in mains):
                return True
            elapsed = self._clock() - start
            if elapsed >= timeout:
                return False
            if progress is not None and elapsed >= next_report:
                progress(elapsed)
                next_report += PROGRESS_INTERVAL_S
            self._sleep(min(POLL_INTERVAL_S, max(0.0, timeout - elapsed)))

    # -- starting --------------------------------------------------------------------------------------------

    def launch(self) -> None:
        """Start Claude Desktop the way the OS would. Raises PlugboardError when we do not know how."""
        argv, detached = self.launch_command()
        if detached:
            self.runner.spawn_detached(argv)
        else:
            status = self.runner.run(argv)
            if status != 0:
                raise PlugboardError(f"Could not start Claude Desktop: {' '.join(argv)} exited with status {status}.")

    def launch_command(self) -> tuple[list[str], bool]:
        """(argv, run detached) that starts Claude on this OS; detached programs must outlive Plugboard."""
        if self.system == "Darwin":
            return ["open", "-a", MACOS_APP_NAME], False
        if self.system == "Windows":
            return self._windows_launch()
        return self._linux_launch(), True

    def _windows_launch(self) -> tuple[list[str], bool]:
        install = self._last_install
        if install is None:
            config = discover(self.config_override, system=self.system, env=self.env, home=self.home)
            install = "windows-msix" if config.source == "windows-msix" else "windows"
        if install == "windows-msix":
            # explorer.exe returns at once (often with status 1 even on success), so it is started, not
            # awaited.
            return ["explorer.exe", f"shell:AppsFolder\\{MSIX_APP_ID}"], True
        local = self.env.get("LOCALAPPDATA") or str(self.home / "AppData" / "Local")
        return [f"{local}\\AnthropicClaude\\claude.exe"], True

    def _linux_launch(self) -> list[str]:
        override = self.env.get(EXECUTABLE_OVERRIDE_ENV)
        seen = self._last_seen
        executable = override or (seen.exe if seen else None)
        # With the override, only an entry running that very executable counts: a system
        # claude-desktop.desktop would start a different install.
        ids = () if override else LINUX_DESKTOP_IDS
        entry = find_entry(env=self.env, home=self.home, ids=ids, executable=executable)
        if entry is not None:
            try:
                argv = entry.argv()
            except ValueError as exc:
                raise PlugboardError(f"Cannot start Claude Desktop: {entry.path} has a broken Exec line.") from exc
            if argv:
                return argv
        if seen is not None and seen.cmdline:
            return list(seen.cmdline)
        if override:
            return [override]
        on_path = shutil.which(LINUX_NAME, path=self.env.get("PATH", os.defpath))
        if on_path:
            return [on_path]
        raise PlugboardError(
            "Cannot find how to start Claude Desktop: no claude-desktop.desktop entry and no claude-desktop "
            f"on PATH (set {EXECUTABLE_OVERRIDE_ENV} to its executable)."
        )

    def wait_until_running(self, timeout: float = START_TIMEOUT_S) -> ClaudeStatus:
        """The status once Claude Desktop runs, or the last (not running) status when `timeout` passed first."""
        start = self._clock()
        while True:
            status = self.status()
            if status.running or self._clock() - start >= timeout:
                return status
            self._sleep(POLL_INTERVAL_S)

    # -- restarting ------------------------------------------------------------------------------------------

    def restart(
        self,
        between: Callable[[], None] | None = None,
        progress: Callable[[float], None] | None = None,
        timeout: float = QUIT_TIMEOUT_S,
    ) -> RestartOutcome:
        """Quit → wait for exit → `between()` (the caller writes Claude's config here) → launch.

        If Claude does not quit within `timeout`, nothing else happens: no `between`, no relaunch.
        If `between` raises, Claude is still relaunched (the user had it running) and the exception then
        propagates.
        Claude not running is fine: `between` runs and Claude is started.
        """
        start = self._clock()
        mains = self._main_processes()
        was_running = bool(mains)
        old_pids = tuple(p.pid for p in mains)
        if not self.quit(timeout=timeout, progress=progress):
            waited = self._clock() - start
            return RestartOutcome(
                was_running=True,
                quit=False,
                relaunched=False,
                waited_s=waited,
                old_pids=old_pids,
                message=self._did_not_quit_message(timeout),
            )
        waited = self._clock() - start
        try:
            if between is not None:
                between()
        finally:
            self.launch()
        new_pids = self.wait_until_running().pids
        verb = "Restarted Claude Desktop" if was_running else "Claude Desktop was not running; started it"
        detail = f" (it took {waited:.1f} s to quit)" if was_running else ""
        if not new_pids:
            detail += f", but it was not running yet after {START_TIMEOUT_S:.0f} s"
        return RestartOutcome(
            was_running=was_running,
            quit=True,
            relaunched=True,
            waited_s=waited,
            old_pids=old_pids,
            new_pids=new_pids,
            message=f"{verb}{detail}.",
        )

    def _did_not_quit_message(self, timeout: float) -> str:
        message = f"Claude Desktop did not quit within {timeout:.0f} s, so it was not restarted"
        if self.system == "Windows":
            message += "; it may be hiding in the tray: right-click its tray icon, choose Quit, then try again."
        else:
            message += "; quit it yourself (it may be waiting on a dialog), then try again."
        return message


__all__ = [
    "COMMAND_TIMEOUT_S",
    "POLL_INTERVAL_S",
    "PROGRESS_INTERVAL_S",
    "QUIT_TIMEOUT_S",
    "START_TIMEOUT_S",
    "ClaudeApp",
    "ClaudeStatus",
    "RestartOutcome",
    "Runner",
    "SystemRunner",
]
