"""Keyboard and assistive technology at the window level: the accessibility tree from the top-level window down
(every interactive element named, every light described), Ctrl+1…4, Tab leaving tables, and a visible focus ring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface, QColor
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

Role = QAccessible.Role
INTERACTIVE = {
    Role.PushButton,
    Role.CheckBox,
    Role.RadioButton,
    Role.ComboBox,
    Role.SpinBox,
    Role.EditableText,
    Role.ButtonMenu,
    Role.ButtonDropDown,
    Role.Slider,
    Role.PageTab,
    Role.Table,
    Role.List,
    Role.ListItem,
    Role.Tree,
    Role.Link,
}
CONFIG = (
    '{"mcpServers": {"catalyst": {"command": "/opt/plugboard", '
    '"args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet"]}, '
    '"time": {"command": "uvx", "args": ["mcp-server-time"]}}}'
)


def walk(iface: QAccessibleInterface, skip: QObject | None = None) -> Iterator[QAccessibleInterface]:
    """Every visible interface under `iface` (itself included), leaving out the subtree of `skip`."""
    if not iface.isValid() or iface.state().invisible:
        return
    if skip is not None and iface.object() is skip:
        return
    yield iface
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child is not None:
            yield from walk(child, skip)


def describe(iface: QAccessibleInterface) -> str:
    obj = iface.object()
    return f"{iface.role().name} {type(obj).__name__ if obj is not None else ''} {obj.objectName() if obj else ''}"


@pytest.fixture
def window(open_window):
    from plugboard.core.tunnel.profile import TunnelProfile, save_profile

    save_profile(TunnelProfile(name="droplet", host="203.0.113.7", user="root", remote_port=5000))
    return open_window(CONFIG)


def unnamed_and_undescribed(window, title: str, skip: QObject | None) -> tuple[list[str], list[str], int]:
    window.show_page(title)
    QApplication.processEvents()
    root = QAccessible.queryAccessibleInterface(window)
    unnamed, dark_lights, seen = [], [], 0
    for iface in walk(root, skip):
        seen += 1
        name = iface.text(QAccessible.Text.Name)
        if iface.role() in INTERACTIVE and not name.strip():
            unnamed.append(describe(iface))
        obj = iface.object()
        is_light = isinstance(obj, QWidget) and "light" in obj.accessibleName().lower()
        if is_light and not iface.text(QAccessible.Text.Description).strip():
            dark_lights.append(describe(iface))
    return unnamed, dark_lights, seen


@pytest.mark.parametrize("title", ["Connectors", "Logs", "Remote", "Settings"])
def test_every_interactive_element_of_the_shell_and_its_pages_has_a_name_and_every_light_a_description(window, title):
    """Walks from the top-level window down, through every page (the Connectors page's table cells are checked
    in detail in the next test)."""
    skip = None
    unnamed, dark_lights, seen = unnamed_and_undescribed(window, title, skip)
    assert seen > 20  # the walk reached the page, not just the frame
    assert unnamed == []
    assert dark_lights == []
    header_light = QAccessible.queryAccessibleInterface(window.header.light)
    assert header_light.text(QAccessible.Text.Description) in (
        "Claude Desktop is running",
        "Claude Desktop is not running",
    )


def test_each_tunnel_light_says_in_words_what_its_colour_means(window):
    from plugboard.gui.tunnels_model import NAME

    window.show_page("Remote")
    page = window.remote_page
    assert NAME == 0
    cell = next(c for c in cells(page.table) if c.text(QAccessible.Text.Name) == "droplet")
    assert cell.text(QAccessible.Text.Description) == "Light: Closed; opens when Claude Desktop starts catalyst"


def test_every_switch_and_light_on_the_connectors_page_has_a_name_and_a_description(window):
    from plugboard.gui.connectors_model import STATUS, SWITCH

    window.show_page("Connectors")
    model = window.page.model
    found = cells(window.page.table)
    names = {
        model.index(r, c).data(Qt.ItemDataRole.AccessibleTextRole)
        for r in range(model.rowCount())
        for c in (STATUS, SWITCH)
    }
    wanted = [c for c in found if c.text(QAccessible.Text.Name) in names]
    assert len(wanted) == 2 * model.rowCount()
    for cell in wanted:
        assert cell.text(QAccessible.Text.Description).strip(), cell.text(QAccessible.Text.Name)


def cells(table: QWidget) -> list[QAccessibleInterface]:
    """The table's cells as a screen reader meets them (its accessible children with the Cell role)."""
    iface = QAccessible.queryAccessibleInterface(table)
    found = [iface.child(i) for i in range(iface.childCount())]
    return [c for c in found if c is not None and c.role() == Role.Cell]


def test_ctrl_1_to_4_open_the_pages(qtbot, window):
    for number, title in enumerate(window.nav.titles, start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.nav.currentRow() == number - 1
        assert window.stack.currentWidget().widget() is window._pages[title.lower()]


def focus_chain(window: QWidget, start: QWidget, steps: int) -> list[QWidget]:
    chain, widget = [], start
    for _ in range(steps):
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible() and widget.isEnabled()):
            widget = widget.nextInFocusChain()
        chain.append(widget)
    return chain


def test_tab_moves_from_the_page_list_through_the_page_and_out_of_its_table(qtbot, window):
    window.show_page("Logs")
    page = window.logs_page
    window.activateWindow()  # focus follows the active window; an earlier test's window may have had it
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.nav.setFocus()
    qtbot.waitUntil(window.nav.hasFocus, timeout=2000)
    qtbot.keyClick(window.nav, Qt.Key.Key_Tab)
    assert page.isAncestorOf(QApplication.focusWidget())  # from the page list into the page's toolbar
    page.view.setFocus()
    qtbot.waitUntil(page.view.hasFocus, timeout=2000)
    qtbot.keyClick(page.view, Qt.Key.Key_Tab)
    after = QApplication.focusWidget()
    assert after is not page.view and after is not None  # one Tab leaves the table, not one cell
    assert not page.view.tabKeyNavigation()
    for title in window.nav.titles:  # the same rule for every page's tables and lists, the Connectors table too
        window.show_page(title)
        from PySide6.QtWidgets import QAbstractItemView

        assert all(not v.tabKeyNavigation() for v in window._pages[title.lower()].findChildren(QAbstractItemView))


def test_the_focused_button_wears_a_ring_in_the_highlight_colour(qtbot, window):
    button = window.header.menu_button or window.findChild(QPushButton)
    assert button is not None
    window.activateWindow()  # focus styles follow the active window; an earlier test's window may have had it
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.nav.setFocus()
    qtbot.waitUntil(window.nav.hasFocus, timeout=2000)
    plain = button.grab().toImage()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    focused = button.grab().toImage()
    highlight = QApplication.palette().highlight().color()

    def near(colour: QColor) -> bool:
        return all(abs(a - b) <= 40 for a, b in zip(colour.getRgb()[:3], highlight.getRgb()[:3], strict=True))

    edge = [(x, focused.height() // 2) for x in range(0, 3)] + [(focused.width() // 2, y) for y in range(0, 3)]
    assert any(near(focused.pixelColor(x, y)) for x, y in edge), [focused.pixelColor(x, y).name() for x, y in edge]
    assert not any(near(plain.pixelColor(x, y)) for x, y in edge)
