"""What the app's tests share: a stand-in for Claude Desktop that is not running, and the real main window."""

from __future__ import annotations

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
    first look at Claude done; closed after the test."""
    opened: list[MainWindow] = []

    def open_(config_text: str | None = None, claude: Any = None) -> MainWindow:
        if config_text is not None:
            claude_config.write_text(config_text)
        window = MainWindow(str(claude_config), claude=claude or NotRunning())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.page.claude_known, timeout=5000)
        opened.append(window)
        return window

    yield open_
    for window in opened:
        window.close()
