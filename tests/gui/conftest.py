"""What the app's tests share: a stand-in for Claude Desktop that is not running, the real main window, and a
private X server (Xvfb) for the tests that need a real display."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plugboard.gui.main_window import MainWindow


class NotRunning:
    """Duck-types `ClaudeApp.status()` for a Claude Desktop that is not running (switches write at once)."""

    def status(self) -> Any:
        return type("Status", (), {"running": False})()


@pytest.fixture
def open_window(qtbot: Any, claude_config: Path) -> Iterator[Callable[..., MainWindow]]:
    """`open_window(config_text=None, claude=None)`: the main window on the test's Claude config, shown, with its
    start-up done (every page built after the first paint) and its first look at Claude done; closed after the
    test."""
    opened: list[MainWindow] = []

    def open_(config_text: str | None = None, claude: Any = None) -> MainWindow:
        if config_text is not None:
            claude_config.write_text(config_text)
        window = MainWindow(str(claude_config), claude=claude or NotRunning())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        # The pages after the first are built once the window has painted; a test starts when they are.
        qtbot.waitUntil(lambda: window.started, timeout=20_000)
        qtbot.waitUntil(lambda: window.page.claude_known, timeout=5000)
        opened.append(window)
        return window

    yield open_
    for window in opened:
        window.close()


# Xvfb is up in well under a second; generous for a loaded 2-core machine.
XVFB_START_S = 20


@contextlib.contextmanager
def xvfb(screen: str) -> Iterator[str]:
    """A private Xvfb with one screen of `screen` ("WxHxDEPTH"); yields its DISPLAY."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: run `bash scripts/setup.sh check`", pytrace=False)
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number when it is ready to accept clients.
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as ready:
            assert select.select([ready], [], [], XVFB_START_S)[0], "Xvfb did not start"
            display = ready.readline().strip()
        yield f":{display}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    with xvfb("1280x800x24") as display:
        yield display


@pytest.fixture
def laptop_display() -> Iterator[str]:
    """A 1366×768 screen: the most common laptop screen, the one issue 14 tried at 150 % and 200 %."""
    with xvfb("1366x768x24") as display:
        yield display
