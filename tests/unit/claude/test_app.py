"""ClaudeApp's per-OS choices, with injected process lists, a recording runner and a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plugboard.core.claude.app import POLL_INTERVAL_S, QUIT_TIMEOUT_S, START_TIMEOUT_S, ClaudeApp
from plugboard.core.claude.process import ProcessInfo
from plugboard.core.errors import PlugboardError

WIN_LOCAL = r"C:\Users\ada\AppData\Local"
WIN_ROAMING = r"C:\Users\ada\AppData\Roaming"
WIN_CLASSIC_EXE = WIN_LOCAL + r"\AnthropicClaude\app-0.10.14\claude.exe"
WIN_MSIX_EXE = r"C:\Program Files\WindowsApps\Claude_0.10.14.0_x64__pzs8sxrjxfjjc\app\claude.exe"
CLAUDE_CODE_WIN = r"C:\Users\ada\.local\bin\claude.exe"
MAC_MAIN = "/Applications/Claude.app/Contents/MacOS/Claude"
MAC_FRAMEWORKS = "/Applications/Claude.app/Contents/Frameworks"
MAC_HELPER = MAC_FRAMEWORKS + "/Claude Helper (Renderer).app/Contents/MacOS/Claude Helper (Renderer)"
LINUX_ELECTRON = "/usr/lib/claude-desktop/node_modules/electron/dist/electron"
LINUX_ASAR = "/usr/lib/claude-desktop/node_modules/electron/dist/resources/app.asar"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeTable:
    procs: dict[int, ProcessInfo] = field(default_factory=dict)

    def add(self, *procs: ProcessInfo) -> None:
        for p in procs:
            self.procs[p.pid] = p

    def exit(self, pid: int) -> None:
        """The process and every descendant go away, as when Electron's main process quits."""
        doomed = {pid}
        changed = True
        while changed:
            changed = False
            for p in self.procs.values():
                if p.ppid in doomed and p.pid not in doomed:
                    doomed.add(p.pid)
                    changed = True
        for d in doomed:
            self.procs.pop(d, None)

    def snapshot(self) -> list[ProcessInfo]:
        return list(self.procs.values())

    def is_running(self, proc: ProcessInfo) -> bool:
        return proc.pid in self.procs


@dataclass
class RecordingRunner:
    """Records every action in `log` (shared with `between`); Claude obeys quit requests unless stubborn."""

    table: FakeTable
    log: list[tuple[str, ...]]
    stubborn: bool = False
    relaunch_as: ProcessInfo | None = None
    """The process that appears when Claude is started (none: it never shows up)."""

    def run(self, argv: list[str]) -> int:
        self.log.append(("run", *argv))
        if argv[0] == "open" and self.relaunch_as:
            self.table.add(self.relaunch_as)
        if self.stubborn:
            return 0
        if argv[0] == "osascript":
            for p in [p for p in self.table.snapshot() if p.exe == MAC_MAIN]:
                self.table.exit(p.pid)
        if argv[0] == "taskkill":
            self.table.exit(int(argv[2]))
        return 0

    def spawn_detached(self, argv: list[str]) -> None:
        self.log.append(("spawn", *argv))
        if self.relaunch_as:
            self.table.add(self.relaunch_as)

    def terminate(self, pid: int) -> None:
        self.log.append(("terminate", str(pid)))
        if not self.stubborn:
            self.table.exit(pid)


def make_app(system: str, env: dict[str, str], home: Path, table: FakeTable, **runner_kw):
    log: list[tuple[str, ...]] = []
    clock = FakeClock()
    runner = RecordingRunner(table, log, **runner_kw)
    app = ClaudeApp(system=system, env=env, home=home, runner=runner, processes=table, clock=clock, sleep=clock.sleep)
    return app, log, clock


def windows_env(tmp_path: Path) -> dict[str, str]:
    return {"LOCALAPPDATA": str(tmp_path / "Local"), "APPDATA": str(tmp_path / "Roaming")}


# -- macOS -----------------------------------------------------------------------------------------


def test_macos_status_sees_the_app_bundle_main_process_and_not_its_helpers_or_claude_code(tmp_path):
    table = FakeTable()
    table.add(
        ProcessInfo(pid=500, ppid=1, name="Claude", exe=MAC_MAIN, cmdline=(MAC_MAIN,)),
        ProcessInfo(pid=501, ppid=500, name="Claude Helper (Renderer)", exe=MAC_HELPER),
        ProcessInfo(pid=600, ppid=1, name="claude", exe="/Users/ada/.local/bin/claude", cmdline=("claude",)),
    )
    app, _log, _clock = make_app("Darwin", {}, tmp_path, table)
    status = app.status()
    assert status.running
    assert status.pids == (500,)
    assert status.executable == MAC_MAIN
    assert status.install == "macos"
    assert status.config.path == tmp_path / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"


def test_macos_restart_quits_through_applescript_writes_in_between_then_opens_the_app(tmp_path):
    table = FakeTable()
    table.add(ProcessInfo(pid=500, ppid=1, name="Claude", exe=MAC_MAIN, cmdline=(MAC_MAIN,)))
    relaunched = ProcessInfo(pid=700, ppid=1, name="Claude", exe=MAC_MAIN, cmdline=(MAC_MAIN,))
    app, log, _clock = make_app("Darwin", {}, tmp_path, table, relaunch_as=relaunched)
    outcome = app.restart(between=lambda: log.append(("between",)))
    assert log == [
        ("run", "osascript", "-e", 'tell application "Claude" to quit'),
        ("between",),
        ("run", "open", "-a", "Claude"),
    ]
    assert outcome.ok
    assert outcome.old_pids == (500,)
    assert outcome.new_pids == (700,)
    assert outcome.message == "Restarted Claude Desktop (it took 0.0 s to quit)."


# -- Windows ---------------------------------------------------------------------------------------


def test_windows_classic_status_ignores_claude_code_which_is_also_named_claude_exe(tmp_path):
    env = {"LOCALAPPDATA": WIN_LOCAL, "APPDATA": WIN_ROAMING}
    table = FakeTable()
    table.add(
        ProcessInfo(pid=40, ppid=4, name="claude.exe", exe=CLAUDE_CODE_WIN, cmdline=(CLAUDE_CODE_WIN,)),
        ProcessInfo(
            pid=41,
            ppid=4,
            name="node.exe",
            exe=r"C:\Program Files\nodejs\node.exe",
            cmdline=(
                "node",
                r"C:\Users\ada\AppData\Roaming\npm\node_modules\@anthropic-ai\claude-code\cli.js",
            ),
        ),
    )
    app, _log, _clock = make_app("Windows", env, tmp_path, table)
    assert app.status().running is False

    table.add(
        ProcessInfo(pid=100, ppid=4, name="claude.exe", exe=WIN_CLASSIC_EXE),
        ProcessInfo(
            pid=101,
            ppid=100,
            name="claude.exe",
            exe=WIN_CLASSIC_EXE,
            cmdline=("claude.exe", "--type=renderer"),
        ),
        ProcessInfo(
            pid=102,
            ppid=100,
            name="claude.exe",
            exe=WIN_CLASSIC_EXE,
            cmdline=("claude.exe", "--type=gpu-process"),
        ),
    )
    status = app.status()
    assert status.pids == (100,)
    assert status.install == "windows"


def test_windows_classic_path_match_ignores_case_and_slash_style(tmp_path):
    env = {"LOCALAPPDATA": WIN_LOCAL}
    table = FakeTable()
    table.add(ProcessInfo(pid=100, ppid=4, name="Claude.exe", exe=WIN_CLASSIC_EXE.upper().replace("\\", "/")))
    app, _log, _clock = make_app("Windows", env, tmp_path, table)
    assert app.status().pids == (100,)


def test_windows_classic_restart_asks_the_window_to_close_without_force_then_starts_the_stub(tmp_path):
    env = {"LOCALAPPDATA": WIN_LOCAL, "APPDATA": WIN_ROAMING}
    table = FakeTable()
    table.add(
        ProcessInfo(pid=100, ppid=4, name="claude.exe", exe=WIN_CLASSIC_EXE),
        ProcessInfo(
            pid=101,
            ppid=100,
            name="claude.exe",
            exe=WIN_CLASSIC_EXE,
            cmdline=("claude.exe", "--type=renderer"),
        ),
    )
    app, log, _clock = make_app("Windows", env, tmp_path, table)
    outcome = app.restart(between=lambda: log.append(("between",)))
    assert log == [
        ("run", "taskkill", "/PID", "100"),
        ("between",),
        ("spawn", WIN_LOCAL + r"\AnthropicClaude\claude.exe"),
    ]
    assert not any("/F" in entry for entry in log)
    assert outcome.ok


def test_windows_store_build_is_relaunched_through_its_app_id(tmp_path):
    env = {"LOCALAPPDATA": WIN_LOCAL, "APPDATA": WIN_ROAMING}
    table = FakeTable()
    table.add(ProcessInfo(pid=200, ppid=4, name="claude.exe", exe=WIN_MSIX_EXE))
    app, log, _clock = make_app("Windows", env, tmp_path, table)
    assert app.status().install == "windows-msix"
    assert app.restart().ok
    assert log == [
        ("run", "taskkill", "/PID", "200"),
        ("spawn", "explorer.exe", r"shell:AppsFolder\Claude_pzs8sxrjxfjjc!Claude"),
    ]


def test_windows_status_reports_the_store_config_and_warns_about_the_classic_twin(tmp_path):
    env = windows_env(tmp_path)
    (tmp_path / "Local" / "Packages" / "Claude_pzs8sxrjxfjjc" / "LocalCache" / "Roaming" / "Claude").mkdir(parents=True)
    classic = tmp_path / "Roaming" / "Claude" / "claude_desktop_config.json"
    classic.parent.mkdir(parents=True)
    classic.write_text("{}")
    app, _log, _clock = make_app("Windows", env, tmp_path, FakeTable())
    status = app.status()
    assert status.config.source == "windows-msix"
    assert len(status.warnings) == 1
    assert "Two Claude config files exist" in status.warnings[0]


def test_windows_launch_when_nothing_ran_picks_the_store_build_when_its_package_exists(tmp_path):
    env = windows_env(tmp_path)
    app, log, _clock = make_app("Windows", env, tmp_path, FakeTable())
    app.launch()
    assert log == [("spawn", env["LOCALAPPDATA"] + r"\AnthropicClaude\claude.exe")]

    (tmp_path / "Local" / "Packages" / "Claude_pzs8sxrjxfjjc").mkdir(parents=True)
    log.clear()
    app.launch()
    assert log == [("spawn", "explorer.exe", r"shell:AppsFolder\Claude_pzs8sxrjxfjjc!Claude")]


# -- Linux -----------------------------------------------------------------------------------------


def linux_tree() -> list[ProcessInfo]:
    """claude-desktop-debian as it runs: Electron (its launcher exec'd it), helpers and an MCP server."""
    return [
        ProcessInfo(
            pid=300,
            ppid=1,
            name="electron",
            exe=LINUX_ELECTRON,
            cmdline=(LINUX_ELECTRON, "--ozone-platform=x11", LINUX_ASAR),
        ),
        ProcessInfo(
            pid=301,
            ppid=300,
            name="electron",
            exe=LINUX_ELECTRON,
            cmdline=(LINUX_ELECTRON, "--type=zygote", LINUX_ASAR),
        ),
        ProcessInfo(
            pid=302,
            ppid=301,
            name="electron",
            exe=LINUX_ELECTRON,
            cmdline=(LINUX_ELECTRON, "--type=renderer", LINUX_ASAR),
        ),
        # Claude's built-in Node running an MCP server: Electron again, a grandchild of the main process.
        ProcessInfo(
            pid=303,
            ppid=300,
            name="electron",
            exe=LINUX_ELECTRON,
            cmdline=(LINUX_ELECTRON, "/usr/lib/claude-desktop/app.asar.unpacked/mcp/server.js"),
        ),
        ProcessInfo(
            pid=400,
            ppid=1,
            name="claude",
            exe="/usr/bin/node",
            cmdline=("node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"),
        ),
        ProcessInfo(pid=401, ppid=1, name="code", exe="/usr/share/code/code", cmdline=("/usr/share/code/code",)),
    ]


def write_entry(folder: Path, file_name: str, exec_line: str) -> Path:
    apps = folder / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    path = apps / file_name
    path.write_text(f"[Desktop Entry]\nType=Application\nName=Claude\nExec={exec_line}\nIcon=claude-desktop\n")
    return path


def linux_env(tmp_path: Path, bin_dir: Path | None = None) -> dict[str, str]:
    return {
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_DATA_DIRS": str(tmp_path / "system-share"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": str(bin_dir or tmp_path / "no-bin"),
    }


def test_linux_status_finds_the_parent_most_electron_process_and_not_helpers_or_claude_code(tmp_path):
    table = FakeTable()
    table.add(*linux_tree())
    app, _log, _clock = make_app("Linux", linux_env(tmp_path), tmp_path, table)
    status = app.status()
    assert status.pids == (300,)
    assert status.executable == LINUX_ELECTRON
    assert status.install == "linux"
    assert status.config.path == tmp_path / "config" / "Claude" / "claude_desktop_config.json"


def test_linux_claude_code_alone_is_not_claude_desktop(tmp_path):
    table = FakeTable()
    table.add(*[p for p in linux_tree() if p.pid >= 400])
    app, _log, _clock = make_app("Linux", linux_env(tmp_path), tmp_path, table)
    assert app.status().running is False


def test_linux_restart_terminates_only_the_main_process_and_relaunches_from_the_desktop_entry(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "claude-desktop"
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    write_entry(tmp_path / "system-share", "claude-desktop.desktop", "claude-desktop %u")
    table = FakeTable()
    table.add(*linux_tree())
    app, log, _clock = make_app("Linux", linux_env(tmp_path, bin_dir), tmp_path, table)
    outcome = app.restart(between=lambda: log.append(("between",)))
    assert log == [("terminate", "300"), ("between",), ("spawn", "claude-desktop")]
    assert outcome.ok
    assert 301 not in table.procs


def test_linux_without_a_desktop_entry_relaunches_the_recorded_command_line(tmp_path):
    table = FakeTable()
    table.add(*linux_tree())
    app, log, _clock = make_app("Linux", linux_env(tmp_path), tmp_path, table)
    app.restart()
    assert log[-1] == ("spawn", LINUX_ELECTRON, "--ozone-platform=x11", LINUX_ASAR)


def test_linux_with_nothing_running_and_no_way_to_start_says_so(tmp_path):
    app, _log, _clock = make_app("Linux", linux_env(tmp_path), tmp_path, FakeTable())
    with pytest.raises(PlugboardError, match="Cannot find how to start Claude Desktop"):
        app.launch()


def test_executable_override_matches_only_that_executable(tmp_path):
    standin = tmp_path / "claude-desktop"
    standin.write_text("")
    env = {**linux_env(tmp_path), "PLUGBOARD_CLAUDE_EXECUTABLE": str(standin)}
    table = FakeTable()
    table.add(*linux_tree(), ProcessInfo(pid=900, ppid=1, name="claude-desktop", exe=str(standin)))
    app, _log, _clock = make_app("Linux", env, tmp_path, table)
    assert app.status().pids == (900,)


# -- timing and failure ----------------------------------------------------------------------------


def test_a_claude_that_refuses_to_quit_is_not_relaunched_and_between_never_runs(tmp_path):
    table = FakeTable()
    table.add(*linux_tree())
    app, log, clock = make_app("Linux", linux_env(tmp_path), tmp_path, table, stubborn=True)
    reports: list[float] = []
    outcome = app.restart(between=lambda: log.append(("between",)), progress=reports.append)
    assert log == [("terminate", "300")]
    assert not outcome.quit
    assert not outcome.relaunched
    assert f"did not quit within {QUIT_TIMEOUT_S:.0f} s" in outcome.message
    assert clock.now == pytest.approx(QUIT_TIMEOUT_S)
    # About one progress line per second, rising.
    assert len(reports) == pytest.approx(QUIT_TIMEOUT_S - 1, abs=1)
    assert reports == sorted(reports)
    assert 300 in table.procs


def test_windows_refusal_message_points_at_the_tray(tmp_path):
    env = {"LOCALAPPDATA": WIN_LOCAL}
    table = FakeTable()
    table.add(ProcessInfo(pid=100, ppid=4, name="claude.exe", exe=WIN_CLASSIC_EXE))
    app, _log, _clock = make_app("Windows", env, tmp_path, table, stubborn=True)
    outcome = app.restart(timeout=5)
    assert "did not quit within 5 s" in outcome.message
    assert "tray" in outcome.message


def test_claude_is_relaunched_even_when_the_write_in_between_fails(tmp_path):
    table = FakeTable()
    table.add(ProcessInfo(pid=500, ppid=1, name="Claude", exe=MAC_MAIN))
    app, log, _clock = make_app("Darwin", {}, tmp_path, table)

    def failing_write() -> None:
        raise PlugboardError("disk full")

    with pytest.raises(PlugboardError, match="disk full"):
        app.restart(between=failing_write)
    assert log[-1] == ("run", "open", "-a", "Claude")


def test_restart_when_claude_is_not_running_writes_then_starts_it(tmp_path):
    relaunched = ProcessInfo(pid=700, ppid=1, name="Claude", exe=MAC_MAIN)
    app, log, clock = make_app("Darwin", {}, tmp_path, FakeTable(), relaunch_as=relaunched)
    outcome = app.restart(between=lambda: log.append(("between",)))
    assert log == [("between",), ("run", "open", "-a", "Claude")]
    assert outcome.ok
    assert not outcome.was_running
    assert outcome.message == "Claude Desktop was not running; started it."
    assert clock.now == 0


def test_restart_says_so_when_the_relaunched_claude_does_not_show_up(tmp_path):
    table = FakeTable()
    table.add(ProcessInfo(pid=500, ppid=1, name="Claude", exe=MAC_MAIN))
    app, _log, clock = make_app("Darwin", {}, tmp_path, table)
    outcome = app.restart()
    assert outcome.relaunched
    assert outcome.new_pids == ()
    assert outcome.message.endswith(f"but it was not running yet after {START_TIMEOUT_S:.0f} s.")
    assert clock.now == pytest.approx(START_TIMEOUT_S, abs=POLL_INTERVAL_S)


def test_quit_twice_is_harmless(tmp_path):
    table = FakeTable()
    table.add(*linux_tree())
    app, log, _clock = make_app("Linux", linux_env(tmp_path), tmp_path, table)
    assert app.quit()
    assert app.quit()
    assert log == [("terminate", "300")]
