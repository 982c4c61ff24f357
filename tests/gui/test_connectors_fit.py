"""The Connectors page fits every screen and hand (issue 14, the page's part): rows keep their places when switched,
so two clicks at one point switch one connector; Tab leaves the list, Space switches, Enter opens; every light and
switch has an accessible name and description; at 640×340 logical pixels (a 1366×768 screen at 200 %, less the
window's frame and header) every switch is visible and every action reachable through "More…"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication

from gui.conftest import NotRunning
from plugboard.core.config.connectors import Connectors
from plugboard.gui.connector_dialog import ConnectorDialog
from plugboard.gui.connectors_model import NAME, SWITCH
from plugboard.gui.connectors_page import ConnectorsPage

SAVE_MS = 10_000
NAMES = ["files", "github", "time", "memory", "fetch"]
CONFIG = json.dumps({"mcpServers": {n: {"command": "uvx", "args": [f"mcp-server-{n}"]} for n in NAMES}}, indent=2)
# What is left of a 1366×768 screen at 200 % (683×384 logical) after the window's frame, page list and header.
NARROW = (640, 340)


def saved(qtbot: Any, page: Any) -> None:
    qtbot.waitUntil(lambda: not page.busy(), timeout=SAVE_MS)


def switches(page: Any) -> list[bool]:
    return [page.model.row(r).shown_enabled for r in range(page.model.rowCount())]


def test_two_clicks_at_the_same_point_switch_the_same_connector_off_and_on_again(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    window = open_window(CONFIG)
    page = window.page
    original = claude_config.read_bytes()
    point = page.table.visualRect(page.model.index(1, SWITCH)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    saved(qtbot, page)
    assert [page.model.row(r).connector.name for r in range(5)] == NAMES  # "github" kept its place
    assert switches(page) == [True, False, True, True, True]
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    saved(qtbot, page)
    # Had the row moved, the second click would have switched another connector off: two would be off now.
    assert switches(page) == [True] * 5
    assert claude_config.read_bytes() == original


def test_the_order_survives_a_reload_and_a_new_connector_goes_after_its_neighbour_in_the_file(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    page = open_window(CONFIG).page
    page.toggle("files", False)
    saved(qtbot, page)
    page.reload()
    assert [r.connector.name for r in page.model.rows()] == NAMES
    connectors = Connectors.open(str(claude_config))
    connectors.add("clock", {"command": "uvx", "args": ["mcp-server-time"]}, index=1)
    page.reload()
    assert [r.connector.name for r in page.model.rows()] == ["files", "github", "clock", "time", "memory", "fetch"]


def test_tab_leaves_the_list_space_switches_and_enter_opens(qtbot: Any, open_window: Any) -> None:
    window = open_window(CONFIG)
    page = window.page
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(2, NAME))
    page.table.selectRow(2)
    assert not page.table.tabKeyNavigation()
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    saved(qtbot, page)
    assert switches(page)[2] is False and page.model.row(2).connector.name == "time"
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectorDialog) and w.isVisible())
    assert dialog.name.text() == "time"
    dialog.reject()
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=SAVE_MS)
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)
    assert not page.table.hasFocus()  # one Tab and focus is out of the list: no cell-by-cell trap


def test_every_light_and_switch_has_an_accessible_name_and_description(open_window: Any) -> None:
    page = open_window(CONFIG).page
    page.toggle("memory", False)
    table = QAccessible.queryAccessibleInterface(page.table)
    cells = [table.child(i) for i in range(table.childCount())]
    named = {c.text(QAccessible.Text.Name): c for c in cells if c.role() == QAccessible.Role.Cell}
    for name in NAMES:
        light = named[f"{name} status: not known"]
        assert light.text(QAccessible.Text.Description) == "Not started by Claude yet"
        switch = named[f"Switch for {name}: {'off' if name == 'memory' else 'on'}"]
        assert switch.text(QAccessible.Text.Description).startswith(f"Space switches {name} ")
        assert switch.state().checkable
        assert switch.state().checked == (name != "memory")
    headers = [c.text(QAccessible.Text.Name) for c in cells if c.role() == QAccessible.Role.ColumnHeader]
    assert headers[-4:] == ["Status", "Connector", "What it does", "On"]
    page.shutdown()


def test_at_640_by_340_every_switch_is_visible_and_every_action_reachable(qtbot: Any, claude_config: Path) -> None:
    servers = {n: {"command": "uvx", "args": [f"mcp-server-{n}"]} for n in NAMES}
    # A catalog server first: its sentence is long, as most are.
    servers["files"] = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]}
    claude_config.write_text(json.dumps({"mcpServers": servers}))
    page = ConnectorsPage(Connectors.open(str(claude_config)), NotRunning())  # type: ignore[arg-type]
    qtbot.addWidget(page)
    try:
        page.resize(*NARROW)
        page.show()
        qtbot.waitExposed(page)
        qtbot.waitUntil(lambda: page.claude_known, timeout=SAVE_MS)
        check_narrow(qtbot, page)
    finally:
        page.shutdown()


def check_narrow(qtbot: Any, page: ConnectorsPage) -> None:
    assert page.minimumSizeHint().width() <= NARROW[0] and page.minimumSizeHint().height() <= NARROW[1]
    inside = QRect(QPoint(0, 0), page.size())
    for row in range(page.model.rowCount()):
        rect = page.table.visualRect(page.model.index(row, SWITCH))
        top_left = page.table.viewport().mapTo(page, rect.topLeft())
        assert inside.contains(QRect(top_left, rect.size())), (row, rect)
    assert page.bar.more.isVisible()
    folded = page.bar.folded()
    assert folded and page.bar.more_menu.actions() == folded
    shown = [a for a in page.bar.actions_in_order if a not in folded]
    assert shown[0] is page.catalog_action  # the first actions stay, the rest fold in order
    assert set(shown) | set(folded) == set(page.bar.actions_in_order)
    description = page.model.index(0, 2)
    text = str(description.data())
    assert page.table.visualRect(description).width() < page.table.fontMetrics().horizontalAdvance(text)  # elided…
    assert description.data(Qt.ItemDataRole.ToolTipRole) == text  # …with the full text on hover
    page.resize(1600, 600)
    qtbot.waitUntil(lambda: not page.bar.more.isVisible(), timeout=SAVE_MS)
    assert page.bar.folded() == []
