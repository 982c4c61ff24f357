"""The Linux restart path for real: a stand-in Claude Desktop process, a real desktop entry, real signals.

The stand-in is a copy of /bin/sleep named `claude-desktop` in a temp folder; `PLUGBOARD_CLAUDE_EXECUTABLE`
makes ClaudeApp match it and nothing else on the machine. Relaunched stand-ins are started detached (not our
children), so the `standin` fixture finds every process running that executable and kills it at the end; waits use pidfds
(readable when the process exits, child or not) with a deadline.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from plugboard import cli
from plugboard.core.claude.app import ClaudeApp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux restart path")

# A stand-in exits within milliseconds of SIGTERM/SIGKILL; 10 s only absorbs a loaded 2-core CI machine.
EXIT_DEADLINE_S = 10.0
# Long enough that a stand-in never exits on its own during a test, short enough that one left by a killed test
# run (the fixture kills them otherwise) does not pose as Claude Desktop for long.
STANDIN_LIFETIME = "600"
# The desktop entry runs the stand-in with a different argument, so a relaunch visibly came from the entry.
ENTRY_LIFETIME = "601"


@dataclass
class Standin:
    executable: Path
    entry: Path

    def processes(self) -> list[psutil.Process]:
        found = []
        psutil.process_iter.cache_clear()  # cached Process objects keep the exe they had before an exec
        for proc in psutil.process_iter(["exe", "status"]):
            if proc.info["exe"] == str(self.executable) and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        return found

    def start(self, *, ignore_sigterm: bool = False) -> subprocess.Popen[bytes]:
        argv = [str(self.executable), STANDIN_LIFETIME]
        if ignore_sigterm:
            # An ignored signal stays ignored across exec: the stand-in then refuses SIGTERM like a hung app.
            argv = ["/bin/sh", "-c", 'trap "" TERM; exec "$@"', "sh", *argv]
        proc = subprocess.Popen(argv)
        # Wait until the exec happened (the shell has become the stand-in), without sleeping.
        assert wait_until_exec(proc.pid, self.executable), "the stand-in did not start"
        return proc


def wait_until_exec(pid: int, executable: Path) -> bool:
    """True once `pid` runs `executable`. Reads /proc in a loop bounded by a deadline, blocking on select."""
    fd = os.pidfd_open(pid)
    try:
        deadline = time.monotonic() + EXIT_DEADLINE_S
        while time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{pid}/exe") == str(executable):
                    return True
            except OSError:
                return False
            # Blocks up to 10 ms unless the process exits first.
            if select.select([fd], [], [], 0.01)[0]:
                return False
        return False
    finally:
        os.close(fd)


def wait_gone(pid: int, timeout: float = EXIT_DEADLINE_S) -> bool:
    """True when the process has exited (a zombie counts as exited) within `timeout`."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standin]:
    bin_dir = tmp_path / "opt" / "claude-desktop"
    bin_dir.mkdir(parents=True)
    executable = bin_dir / "claude-desktop"
    shutil.copy2("/bin/sleep", executable)
    data_home = tmp_path / "share"
    (data_home / "applications").mkdir(parents=True)
    entry = data_home / "applications" / "claude-desktop.desktop"
    entry.write_text(
        "[Desktop Entry]\nType=Application\nName=Claude\n"
        f'Exec="{executable}" {ENTRY_LIFETIME} %U\nIcon=claude-desktop\nTerminal=false\n'
    )
    monkeypatch.setenv("PLUGBOARD_CLAUDE_EXECUTABLE", str(executable))
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-system-share"))
    helper = Standin(executable=executable, entry=entry)
    yield helper
    leftovers = helper.processes()
    for proc in leftovers:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue
    assert all(wait_gone(p.pid) for p in leftovers), "a stand-in survived SIGKILL"


def test_status_sees_the_standin_and_restart_relaunches_it_from_its_desktop_entry(standin):
    first = standin.start()
    app = ClaudeApp(system="Linux")
    status = app.status()
    assert status.running
    assert status.pids == (first.pid,)
    assert status.executable == str(standin.executable)

    seen_in_between: list[bool] = []

    def between() -> None:
        # Claude is down while the caller writes: the old process has exited and nothing matches any more.
        seen_in_between.append(first.poll() == -signal.SIGTERM and not app.status().running)

    outcome = app.restart(between=between)
    assert outcome.ok, outcome.message
    assert seen_in_between == [True]
    assert outcome.old_pids == (first.pid,)
    assert len(outcome.new_pids) == 1

    relaunched = standin.processes()
    assert len(relaunched) == 1
    new = relaunched[0]
    assert new.pid != first.pid
    assert new.exe() == str(standin.executable)
    assert new.cmdline() == [str(standin.executable), ENTRY_LIFETIME]  # the entry's Exec, field code dropped
    # Detached: not our child, in a session of its own.
    assert new.pid not in {c.pid for c in psutil.Process().children(recursive=True)}
    assert os.getsid(new.pid) != os.getsid(0)
    assert app.status().pids == (new.pid,)


def test_a_relaunched_claude_can_be_restarted_again(standin):
    app = ClaudeApp(system="Linux")
    app.launch()  # nothing running: started from the desktop entry
    running = app.wait_until_running()
    assert running.running
    assert running.cmdline == (str(standin.executable), ENTRY_LIFETIME)

    outcome = app.restart()
    assert outcome.ok, outcome.message
    assert wait_gone(running.pids[0], 0)
    after = app.status()
    assert after.running
    assert after.pids != running.pids


def test_without_a_desktop_entry_the_recorded_command_line_is_rerun(standin):
    standin.entry.unlink()
    first = standin.start()
    app = ClaudeApp(system="Linux")
    assert app.restart().ok
    assert first.wait(timeout=EXIT_DEADLINE_S) == -signal.SIGTERM
    (new,) = standin.processes()
    assert new.cmdline() == [str(standin.executable), STANDIN_LIFETIME]


def test_a_standin_that_ignores_sigterm_is_reported_and_not_relaunched(standin):
    stubborn = standin.start(ignore_sigterm=True)
    app = ClaudeApp(system="Linux")
    calls: list[str] = []
    outcome = app.restart(between=lambda: calls.append("between"), timeout=1.0)
    assert not outcome.quit
    assert not outcome.relaunched
    assert "did not quit within 1 s" in outcome.message
    assert calls == []
    assert stubborn.poll() is None  # still running: never force-killed
    assert [p.pid for p in standin.processes()] == [stubborn.pid]  # and no second copy started
    stubborn.kill()
    stubborn.wait(timeout=EXIT_DEADLINE_S)


def test_cli_status_json_reports_the_running_standin(standin, capsys):
    first = standin.start()
    assert cli.main(["claude", "status", "--json"]) == 0
    out = capsys.readouterr().out
    payload = json.loads(out)
    assert payload["running"] is True
    assert payload["pids"] == [first.pid]
    assert payload["executable"] == str(standin.executable)
    assert payload["config"]["source"] == "PLUGBOARD_CLAUDE_CONFIG"
    first.terminate()
    first.wait(timeout=EXIT_DEADLINE_S)


def test_cli_restart_prints_progress_and_fails_with_one_line_when_claude_will_not_quit(standin, capsys):
    stubborn = standin.start(ignore_sigterm=True)
    assert cli.main(["claude", "restart", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "waiting for Claude Desktop to quit… 1 s" in err
    assert err.strip().splitlines()[-1].startswith("plugboard: Claude Desktop did not quit within 2 s")
    assert stubborn.poll() is None
    stubborn.kill()
    stubborn.wait(timeout=EXIT_DEADLINE_S)


def test_cli_restart_restarts_the_standin(standin, capsys):
    first = standin.start()
    assert cli.main(["claude", "restart"]) == 0
    assert capsys.readouterr().out.startswith("Restarted Claude Desktop")
    assert first.wait(timeout=EXIT_DEADLINE_S) == -signal.SIGTERM
    (new,) = standin.processes()
    assert new.pid != first.pid


def test_cli_disable_while_claude_runs_warns_and_with_restart_applies_around_a_real_restart(
    standin, claude_config, capsys, monkeypatch
):
    monkeypatch.setattr("plugboard.core.config.apply.WIPE_GUARD_S", 0.5)  # nothing rewrites the file in this test
    claude_config.write_text('{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}}}')
    first = standin.start()
    assert cli.main(["disable", "a"]) == 0
    assert "Claude Desktop is running: it may write its own copy over this change" in capsys.readouterr().out
    assert cli.main(["enable", "a"]) == 0
    capsys.readouterr()
    assert cli.main(["disable", "b", "--restart"]) == 0
    assert "Applied 1 change" in capsys.readouterr().out
    assert first.wait(EXIT_DEADLINE_S) == -signal.SIGTERM  # Claude was asked to quit, not killed
    assert json.loads(claude_config.read_text())["mcpServers"] == {"a": {"command": "x"}}
    relaunched = standin.processes()
    assert len(relaunched) == 1 and relaunched[0].pid != first.pid


def test_cli_enable_while_claude_runs_keeps_the_entry_and_puts_it_back_after_claude_writes_its_copy(
    standin, claude_config, capsys
):
    # Issue 16 item 2 with a real process for Claude Desktop: `plugboard enable` itself sees that it runs.
    config = '{\n  "mcpServers": {\n    "a": {"command": "x"},\n    "b": {"command": "y"}\n  }\n}'
    claude_config.write_text(config)
    assert cli.main(["disable", "a"]) == 0
    claude = standin.start()  # Claude starts now: the copy it holds has no "a"
    claudes_copy = claude_config.read_bytes()
    assert cli.main(["enable", "a"]) == 0
    assert "Until then Plugboard keeps a copy and puts it back if Claude drops it" in capsys.readouterr().out
    with open(claude_config, "r+b") as handle:  # Claude writes its copy back: truncate, then write
        handle.truncate(0)
        handle.flush()
        handle.write(claudes_copy)
    assert cli.main(["list"]) == 0
    captured = capsys.readouterr()
    assert 'Put "a" back into' in captured.err
    assert claude_config.read_text() == config
    claude.kill()
    assert claude.wait(EXIT_DEADLINE_S) == -signal.SIGKILL
