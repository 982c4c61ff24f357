"""The Connectors page says what the wipe guard put back (issue 16 item 2, the app's part): Claude Desktop saves its
older copy of the file over a connector switched on meanwhile, the core puts it back and emits a notice, and the page
shows it in plain words — on the GUI thread, whichever thread the notice came from — with the restart that loads it.
The page stops listening when it goes."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from gui import states
from plugboard.core import notices
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.paths import plugboard_dirs
from plugboard.gui.connectors_page import ConnectorsPage

# A switch click and the file read after it run on a worker in milliseconds; 10 s only bounds a stuck one.
SAVE_MS = 10_000
# A thread that only emits one notice ends at once; 10 s only bounds a stuck one.
JOIN_S = 10.0
CONFIG = states.config({"github": {"command": "x"}, "files": {"command": "y"}})


class Running:
    """Claude Desktop running: switches are staged, and a restart loads what Plugboard wrote."""

    def status(self) -> Any:
        return type("Status", (), {"running": True})()


def _stale_write_back(claude_config: Path) -> None:
    """Switch `github` off and on again while Claude Desktop runs, then let Claude write back the copy it read in
    between (truncate, then write, as Claude Desktop does): `github` is gone from the file."""
    elsewhere = Connectors(discover(str(claude_config)), plugboard_dirs(), claude_running=lambda: True)
    elsewhere.disable("github")
    claudes_copy = claude_config.read_bytes()
    elsewhere.enable("github")
    with open(claude_config, "r+b") as handle:
        handle.truncate(0)
        handle.flush()
        handle.write(claudes_copy)


@pytest.fixture
def page(qtbot: Any, claude_config: Path) -> Any:
    claude_config.write_text(CONFIG)
    made = ConnectorsPage(Connectors.open(str(claude_config)), Running())  # type: ignore[arg-type]
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: made.claude_known, timeout=SAVE_MS)
    yield made
    made.shutdown()


def test_a_connector_claude_dropped_and_plugboard_put_back_is_said_in_plain_words_with_the_restart(
    qtbot: Any, page: Any, claude_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stale_write_back(claude_config)
    assert "github" not in json.loads(claude_config.read_text())["mcpServers"]
    shown_on: list[threading.Thread] = []
    real_set_text = page.restored_text.setText

    def set_text(text: str) -> None:
        shown_on.append(threading.current_thread())
        real_set_text(text)

    monkeypatch.setattr(page.restored_text, "setText", set_text)

    # A switch click while Claude runs is staged; its worker reads the file, which puts "github" back: the notice
    # comes from the worker's thread.
    page.toggle("files", False)
    qtbot.waitUntil(lambda: page.restored_banner.isVisible(), timeout=SAVE_MS)

    assert page.restored_text.text() == (
        "Claude Desktop dropped “github” when it saved its settings; Plugboard put it back. "
        "Restart Claude Desktop to load it."
    )
    assert shown_on == [threading.main_thread()]
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["github", "files"]
    qtbot.waitUntil(lambda: not page.busy(), timeout=SAVE_MS)
    assert page.restart_banner.isVisible() and page.restart_button.isVisible()
    assert page.restart_text.text() == "Claude Desktop needs a restart to apply 2 changes."  # the put-back, the switch
    assert states.technical_words(page) == []
    page.restored_ok.click()
    assert not page.restored_banner.isVisible()


def test_several_connectors_put_back_are_named_together(qtbot: Any, page: Any) -> None:
    notices.emit(notices.Notice("Put back.", "restored", ("github", "files", "time")))
    qtbot.waitUntil(lambda: page.restored_banner.isVisible(), timeout=SAVE_MS)
    assert page.restored_text.text().startswith(
        "Claude Desktop dropped “github”, “files” and “time” when it saved its settings; Plugboard put them back."
    )


def test_a_put_back_that_failed_says_so_and_offers_to_try_again(qtbot: Any, page: Any) -> None:
    notices.emit(notices.Notice("Could not put back the connectors you switched on: it is locked", "restore-failed"))
    qtbot.waitUntil(lambda: page.restored_banner.isVisible(), timeout=SAVE_MS)
    assert "could not put them back yet" in page.restored_text.text()
    assert page.restored_retry.isVisible() and page.restored_retry.text() == "Try again"
    assert states.technical_words(page) == []


def test_the_page_stops_listening_when_it_goes(qtbot: Any, claude_config: Path) -> None:
    claude_config.write_text(CONFIG)
    before = len(notices._listeners)
    page = ConnectorsPage(Connectors.open(str(claude_config)), Running())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.claude_known, timeout=SAVE_MS)
    assert len(notices._listeners) == before + 1
    page.shutdown()
    assert len(notices._listeners) == before
    notices.emit(notices.Notice("Put back.", "restored", ("github",)))
    QApplication.processEvents()
    assert not page.restored_banner.isVisible()

    # A page destroyed without its shutdown stops listening too, and a notice from a thread afterwards reaches
    # nobody (no error in the emitting thread).
    other = ConnectorsPage(Connectors.open(str(claude_config)), Running())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: other.claude_known, timeout=SAVE_MS)
    other.health.close()  # what shutdown would stop besides the notices (the leak guard checks its thread)
    other.workers.join(JOIN_S)
    assert len(notices._listeners) == before + 1
    other.deleteLater()
    qtbot.waitUntil(lambda: len(notices._listeners) == before, timeout=SAVE_MS)
    errors: list[BaseException] = []

    def emit() -> None:
        try:
            notices.emit(notices.Notice("Put back.", "restored", ("github",)))
        except BaseException as exc:  # the test reports any error the emitter saw
            errors.append(exc)

    thread = threading.Thread(target=emit)
    thread.start()
    thread.join(JOIN_S)
    assert errors == []
