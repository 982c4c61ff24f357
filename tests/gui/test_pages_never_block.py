"""The window never waits (the Logs and Remote pages, the header, the relink banner, closing): a keyring that hangs
(a locked Secret Service asking for its password) or another Plugboard process holding the edit lock leaves the
event loop free — its longest stall stays under the 50 ms the Connectors page is held to
(tests/gui/test_connectors_page_never_blocks.py, whose meter this file reuses) — and closing waits for all the
workers still running under one deadline, not one bound each."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.conftest import NotRunning
from gui.test_connectors_page_never_blocks import DONE_MS, HELD_S, MAX_STALL_MS, StallMeter, lock_holder
from plugboard.core import install
from plugboard.core.secrets import keyring
from plugboard.core.tunnel.profile import TunnelProfile, load_profiles, save_profile
from plugboard.gui.app import tune_interpreter
from plugboard.gui.main_window import CLOSE_DEADLINE_S, MainWindow

__all__ = ["lock_holder"]  # a fixture, used by name

LAUNCHER = {"command": "/opt/plugboard", "args": ["run", "github", "--secret", "GITHUB_TOKEN", "--", "npx", "-y", "x"]}
CONFIG = json.dumps({"mcpServers": {"github": LAUNCHER, "time": {"command": "uvx"}}})
# How long the stand-in keyring hangs when nobody releases it: far beyond the stall bound, short enough that code
# which waits for it on the GUI thread fails the test instead of hanging it.
HANG_S = 3.0
# Closing may overrun its deadline by one event-loop turn and the joins' own bookkeeping; 1 s is generous.
CLOSE_SLACK_S = 1.0


@pytest.fixture(autouse=True)
def tuned_as_the_app() -> Any:
    """The interpreter as `plugboard` (the app) runs it (`app.run_app`): its GIL switch interval, and the heap built
    so far out of the collector's sight; put back for the tests that follow."""
    switch_interval = sys.getswitchinterval()
    tune_interpreter()
    gc.freeze()
    yield
    gc.unfreeze()
    sys.setswitchinterval(switch_interval)


@pytest.fixture
def hanging_keyring(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A keyring whose reads hang until the test sets the returned event (or `HANG_S` passes)."""
    release = threading.Event()
    asked: list[str] = []

    def get_secret(connector: str, key: str) -> str:
        asked.append(f"{connector}/{key}")
        release.wait(HANG_S)
        return "ghp_standInSecret"

    monkeypatch.setattr(keyring, "get_secret", get_secret)
    yield release, asked
    release.set()


def _wait_threads_gone(qtbot: Any, prefix: str) -> None:
    qtbot.waitUntil(
        lambda: not any(t.name.startswith(prefix) for t in threading.enumerate() if t.is_alive()), timeout=DONE_MS
    )


def test_opening_the_logs_while_the_keyring_hangs_never_stalls_the_window(
    qtbot: Any, open_window: Any, hanging_keyring: Any
) -> None:
    release, asked = hanging_keyring
    window = open_window(CONFIG)
    meter = StallMeter()
    meter.start()

    window.show_page("Logs")

    page = window.logs_page
    qtbot.waitUntil(lambda: bool(asked), timeout=DONE_MS)  # the masks are being read (on a worker)
    qtbot.waitUntil(lambda: meter.seconds() >= HELD_S, timeout=DONE_MS)
    assert page.opening() and page.status.text() == "Opening the logs…"
    release.set()
    qtbot.waitUntil(lambda: not page.opening(), timeout=DONE_MS)
    meter.stop()

    assert asked == ["github/GITHUB_TOKEN"]  # one config read gave every entry: one keyring read per secret
    assert [page.chooser.itemText(i) for i in range(page.chooser.count())] == ["All connectors", "github", "time"]
    assert len(page._live) == 2 and page.timer.isActive()  # both followed
    print(f"\nlongest event-loop stall while the keyring hung {meter.seconds():.2f} s: {meter.longest_ms:.1f} ms")
    assert meter.longest_ms < MAX_STALL_MS


def test_closing_while_the_logs_still_open_closes_at_once_and_what_they_opened_is_closed(
    qtbot: Any, open_window: Any, hanging_keyring: Any
) -> None:
    release, asked = hanging_keyring
    window = open_window(CONFIG)
    window.show_page("Logs")
    page = window.logs_page
    qtbot.waitUntil(lambda: bool(asked), timeout=DONE_MS)

    started = time.monotonic()
    window.close()
    took = time.monotonic() - started

    assert not window.isVisible() and took < CLOSE_DEADLINE_S + CLOSE_SLACK_S
    release.set()
    _wait_threads_gone(qtbot, "plugboard-gui-open-logs")
    qtbot.wait(50)  # a result the worker reported is delivered (and must be dropped) on the next turns
    assert page._live == [] and page._unclaimed == []
    assert not any(t.name.startswith("logs-") for t in threading.enumerate())  # no follower was ever started


def test_closing_with_a_stuck_worker_on_every_page_waits_one_deadline_not_one_bound_each(
    qtbot: Any, open_window: Any
) -> None:
    window = open_window(CONFIG)
    qtbot.waitUntil(lambda: window.relink_banner.checked, timeout=DONE_MS)
    stuck = threading.Event()
    owners = [
        window.workers,
        window.relink_banner.workers,
        window.page.workers,
        window.logs_page.workers,
        window.remote_page.workers,
        window.settings_page.workers,
    ]
    for owner in owners:
        owner.start("stuck", lambda: stuck.wait(60), on_done=lambda _r: None)
    try:
        started = time.monotonic()
        window.close()
        took = time.monotonic() - started
    finally:
        stuck.set()
    _wait_threads_gone(qtbot, "plugboard-gui-stuck")
    print(f"\nclosing with {len(owners)} stuck workers took {took:.2f} s (deadline {CLOSE_DEADLINE_S} s)")
    assert not window.isVisible()
    assert took < CLOSE_DEADLINE_S + CLOSE_SLACK_S


class Claude:
    """Duck-types `ClaudeApp.status()`; the test starts and quits it, and counts the looks."""

    def __init__(self) -> None:
        self.running = False
        self.looks = 0

    def status(self) -> Any:
        self.looks += 1
        return type("Status", (), {"running": self.running})()


def test_the_header_shows_the_connectors_pages_look_at_claude_and_makes_none_of_its_own(
    qtbot: Any, open_window: Any
) -> None:
    claude = Claude()
    window = open_window(CONFIG, claude=claude)
    qtbot.waitUntil(lambda: window.header.running is False, timeout=DONE_MS)
    looks = claude.looks
    claude.running = True  # Claude Desktop was started

    window.page.poll_claude()

    qtbot.waitUntil(lambda: window.page.claude_running, timeout=DONE_MS)
    assert window.header.running is True  # the same look, the same answer, at once
    assert window.header.state.text() == "Claude Desktop is running"
    assert claude.looks == looks + 1  # one scan per poll, not one for the page and one for the header


@pytest.fixture
def remote_window(qtbot: Any, open_window: Any) -> MainWindow:
    """The window with one tunnel listed on its Remote page (made before any lock is held: saving takes it)."""
    save_profile(TunnelProfile(name="droplet", host="203.0.113.7", user="root", remote_port=5000))
    window: MainWindow = open_window(CONFIG)
    page = window.remote_page
    window.show_page("Remote")
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.model.rowCount() == 1, timeout=DONE_MS)
    return window


def test_removing_a_tunnel_while_another_process_holds_the_edit_lock_never_stalls_the_window(
    qtbot: Any, remote_window: MainWindow, lock_holder: subprocess.Popen[str]
) -> None:
    page = remote_window.remote_page
    page.select("droplet")
    meter = StallMeter()
    meter.start()

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: meter.seconds() >= HELD_S, timeout=DONE_MS)
    assert "droplet" in load_profiles()  # still waiting for the lock
    assert lock_holder.stdin is not None
    lock_holder.stdin.close()
    qtbot.waitUntil(lambda: page.note.plain.startswith("Removed"), timeout=DONE_MS)
    qtbot.waitUntil(lambda: page.loaded, timeout=DONE_MS)
    meter.stop()

    assert load_profiles() == {} and page.model.rowCount() == 0
    print(f"\nlongest event-loop stall while the remove waited {meter.seconds():.2f} s: {meter.longest_ms:.1f} ms")
    assert meter.longest_ms < MAX_STALL_MS


def _relink_config(command: str, *, broken: bool) -> str:
    github = {"command": command, "args": ["run", "github", "--", "npx", "-y", "server-github"]}
    text = json.dumps({"mcpServers": {"github": github, "remote-notes": {"command": "npx"}}}, indent=2)
    return text.replace('"npx"\n    }', '"npx"\n    },', 1) if broken else text  # a trailing comma


def test_the_relink_banner_never_shows_a_parse_error_and_looks_again_once_the_file_is_fixed(
    qtbot: Any, open_window: Any, claude_config: Path, tmp_path: Path
) -> None:
    gone = str(tmp_path / "Downloads" / "plugboard" / "plugboard")
    window = open_window(_relink_config(gone, broken=True))
    banner = window.relink_banner
    qtbot.waitUntil(lambda: banner.checked, timeout=DONE_MS)
    assert not banner.isVisible() and banner.text.text() == ""  # the Connectors page explains a broken file

    claude_config.write_text(_relink_config(gone, broken=False))  # fixed by hand

    qtbot.waitUntil(lambda: banner.isVisible(), timeout=DONE_MS)
    assert banner.text.text().startswith("1 connector (github) starts a copy of Plugboard")
    assert install.check_shim().status == "ok"


def test_choosing_a_config_file_in_settings_finds_it_once(
    qtbot: Any, claude_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugboard.core.claude import discovery
    from plugboard.gui import settings_page

    claude_config.write_text(CONFIG)
    other = tmp_path / "other" / "claude_desktop_config.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"mcpServers": {"solo": {"command": "npx"}}}))
    window = MainWindow(None, claude=NotRunning())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.started, timeout=20_000)
    found: list[str | None] = []
    real = discovery.discover

    def counting(path: str | None = None, *args: Any, **kwargs: Any) -> Any:
        found.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(discovery, "discover", counting)
    monkeypatch.setattr(settings_page, "discover", counting)
    try:
        window.settings_page._set_config(str(other))

        assert found == [str(other)]
        assert window.connectors.path == other and window.settings_page.config_label.text() == str(other)
        qtbot.waitUntil(lambda: window.page.model.rowCount() == 1, timeout=DONE_MS)
    finally:
        window.settings_page._set_config(None)
        window.close()
