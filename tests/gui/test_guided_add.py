"""Onboarding walkthrough: from the main window, a catalog connector with a secret in ≤ 3 clicks + 1 paste.

Real keyring (run inside scripts/test-session.sh), real config engine, and the real doctor run that follows (it
starts the server with npx, which fetches the package from the npm registry the first time).
"""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from plugboard.core.secrets import keyring as secrets
from plugboard.gui.catalog_dialog import CatalogDialog

TOKEN = "BSA-test-token-0123456789"
# npx may download the server the first time; the doctor's own initialize bound is 60 s.
DOCTOR_DONE_MS = 150_000


@pytest.fixture
def window(open_window):
    return open_window()


def test_add_brave_search_with_its_key_in_three_clicks_and_one_paste(qtbot, window, claude_config, secret_service):
    clicks = pastes = 0

    def click(widget, pos=None):
        nonlocal clicks
        if pos is None:
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
        else:
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
        clicks += 1

    click(window.page.catalog_button)
    qtbot.waitUntil(lambda: any(isinstance(w, CatalogDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CatalogDialog))
    qtbot.waitExposed(dialog)
    dialog.search.setText("search")  # the cards narrow to those that match
    assert "brave-search" in dialog.visible_cards() and "time" not in dialog.visible_cards()
    card = dialog.cards["brave-search"]
    click(card, card.rect().center())
    assert dialog.title.text() == "<b>Brave web search</b>"
    assert "Node.js is installed" in dialog.runtime.text()

    QGuiApplication.clipboard().setText(TOKEN)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["BRAVE_API_KEY"], timeout=2000)
    focused = QApplication.focusWidget()  # the key field waits for the paste, no click needed
    qtbot.keyClick(focused, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pastes += 1
    assert dialog.add_button.isEnabled()
    click(dialog.add_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)  # added on a worker, then the dialog closes

    assert (clicks, pastes) == (3, 1)
    entry = json.loads(claude_config.read_text())["mcpServers"]["brave-search"]
    assert entry["args"][:4] == ["run", "brave-search", "--secret", "BRAVE_API_KEY"]
    assert entry["args"][-2:] == ["-y", "@brave/brave-search-mcp-server"]
    assert TOKEN not in claude_config.read_text()
    assert secrets.get_secret("brave-search", "BRAVE_API_KEY") == TOKEN
    page = window.page
    rows = [page.model.row(i) for i in range(page.model.rowCount())]
    (row,) = [r for r in rows if r.connector.name == "brave-search"]
    assert row.status == "Testing…"  # the row's line while Test runs it
    assert page.note.text().startswith("Added “brave-search”. Testing it…")
    qtbot.waitUntil(lambda: page.testing is None, timeout=DOCTOR_DONE_MS)
    assert page.note.text().startswith("Added “brave-search”.") and "Testing" not in page.note.text()
    # It starts and lists its tools, but a made-up key is never called working: the catalog's credential check (one
    # search) fails — refused by Brave, or unanswered where there is no network.
    assert page.card.isVisible() and page.card.name == "brave-search"
    assert page.card.finding is not None and not page.card.finding.ok, page.card.headline.text()
    assert page.model.row(page.model.find("brave-search")).light == "bad"


def test_a_missing_runtime_is_named_with_where_to_get_it(qtbot, window, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("HOME", "/nonexistent")
    dialog = window.page.add_from_catalog()
    dialog.select("time")
    assert "needs uv" in dialog.runtime.text() and "https://" in dialog.runtime.text()
    assert not dialog.add_button.isEnabled()
    dialog.reject()


def test_the_catalog_shows_cards_by_category_and_says_which_are_already_added_and_offers_to_open_them(
    qtbot, claude_config
):
    from plugboard.core.claude.discovery import discover
    from plugboard.core.config.connectors import Connectors

    claude_config.write_text(
        '{"mcpServers": {"my-files": {"command": "npx", '
        '"args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]}}}'
    )
    dialog = CatalogDialog(Connectors(discover(str(claude_config))))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert len(dialog.visible_cards()) == len(dialog.catalog.items)
    dialog.category.setCurrentText("Web")
    assert sorted(dialog.visible_cards()) == ["brave-search", "fetch", "playwright"]
    dialog.category.setCurrentText("All categories")
    card = dialog.cards["filesystem"]
    assert "Already added as my-files" in card.accessibleDescription()
    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)  # the keyboard picks a card too
    assert dialog.steps.currentWidget() is dialog.form_page
    assert dialog.already.text().startswith("Already added as “my-files”")
    assert dialog.open_button.isVisible() and dialog.add_button.text() == "Add another"
    with qtbot.waitSignal(dialog.open_requested) as opened:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == ["my-files"]
    assert not dialog.isVisible()


def test_open_it_in_the_pages_catalog_opens_the_connector_already_added(qtbot, window, claude_config):
    from plugboard.gui.connector_dialog import ConnectorDialog

    claude_config.write_text(
        '{"mcpServers": {"my-files": {"command": "npx", '
        '"args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]}}}'
    )
    window.page.reload()
    dialog = window.page.add_from_catalog()
    dialog.select("filesystem")
    assert dialog.open_button.isVisible()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(isinstance(w, ConnectorDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
    )
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectorDialog) and w.isVisible())
    assert form.form().name == "my-files"
    assert window.page.selected().name == "my-files"
    form.reject()


def test_adding_from_the_catalog_never_waits_on_the_gui_thread_for_the_edit_lock(qtbot, window, claude_config):
    """The add takes the edit lock (and the keychain) on a worker: held by another process, the window still paints."""
    import time

    from plugboard.core.files.locking import edit_lock
    from plugboard.core.paths import plugboard_dirs

    dialog = window.page.add_from_catalog()
    dialog.select("sequential-thinking")  # Node.js, no fields to fill
    assert dialog.add_button.isEnabled(), dialog.message.text()
    with edit_lock(plugboard_dirs()):
        started = time.monotonic()
        dialog.add()
        assert time.monotonic() - started < 0.5  # back at once, while the lock is held
        assert dialog.message.text() == "Adding…" and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert "sequential-thinking" in json.loads(claude_config.read_text())["mcpServers"]
