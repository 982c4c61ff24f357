"""The Logs page over real log files written the way the launcher writes them."""

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from plugboard.core.logs.connector_log import ConnectorLog


@pytest.fixture
def window(open_window):
    return open_window('{"mcpServers": {"files": {"command": "npx"}, "time": {"command": "uvx"}}}')


def write(name, text):
    log = ConnectorLog(name)
    log.write(text.encode())
    log.close()


def shown(page):
    return page.visible_text().splitlines()


def opened(qtbot, page):
    """Wait until the log asked for is open (that happens on a worker) and shown."""
    qtbot.waitUntil(lambda: not page.opening(), timeout=5000)
    return page


def test_history_of_all_connectors_then_live_lines_appear(qtbot, window):
    write("files", "INFO starting files\n")
    write("time", "ERROR boom in time\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    assert page.chooser.currentText() == "All connectors"
    lines = shown(page)
    assert any("files" in ln and "starting files" in ln for ln in lines)
    assert any("time" in ln and "boom in time" in ln for ln in lines)
    write("files", "WARNING disk almost full\n")
    qtbot.waitUntil(lambda: any("disk almost full" in ln for ln in shown(page)), timeout=5000)


def test_level_filter_and_search_narrow_the_view(qtbot, window):
    write("files", "DEBUG chatter\nINFO ready\nWARNING slow\nERROR failed to open /x\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    assert len(shown(page)) == 4
    page.level.setCurrentText("Warnings and errors")
    assert [ln.split(" ", 4)[-1] for ln in shown(page)] == ["WARNING slow", "ERROR failed to open /x"]
    page.search.setText("open")
    assert len(shown(page)) == 1
    assert page.status.text() == "1 of 4 lines"


def test_pause_holds_the_view_until_resumed_and_clear_empties_it(qtbot, window):
    write("files", "INFO one\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    page.pause.setChecked(True)
    write("files", "INFO two\n")
    qtbot.waitUntil(lambda: len(page._incoming) == 1, timeout=5000)
    assert len(shown(page)) == 1
    page.pause.setChecked(False)
    assert len(shown(page)) == 2
    page.clear()
    assert shown(page) == []


def test_copy_and_export_take_the_visible_lines(qtbot, window, tmp_path):
    write("files", "INFO alpha\nERROR beta\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    page.level.setCurrentText("Errors only")
    page.copy_selection()
    assert QGuiApplication.clipboard().text().endswith("ERROR beta")
    target = tmp_path / "out.txt"
    page.export(str(target))
    assert target.read_text().strip().endswith("ERROR beta")
    assert "alpha" not in target.read_text()


def test_leaving_the_page_stops_following(qtbot, window):
    window.show_page("Logs")
    opened(qtbot, window.logs_page)
    assert window.logs_page._live
    window.show_page("Connectors")
    assert not window.logs_page._live


def test_clicking_export_asks_where_and_writes_the_lines_shown(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    write("files", "INFO alpha\nERROR beta\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    target = tmp_path / "exported.txt"
    asked = []

    def save_dialog(parent, caption, name, filters):
        asked.append((caption, name))
        return str(target), filters

    # The one stand-in: the system's file dialog, which a test cannot click through.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    window.resize(1600, 700)  # wide: every button in the row, none folded into More
    qtbot.waitUntil(lambda: page.export_button.isVisible(), timeout=5000)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    from plugboard.gui.logs_page import export_folder

    assert asked == [("Export log", str(export_folder() / "plugboard-log.txt"))]
    assert export_folder().is_dir() and export_folder() != Path.cwd()
    lines = target.read_text().splitlines()
    assert [line.split(" ", 4)[-1] for line in lines] == ["INFO alpha", "ERROR beta"]
    assert f"Exported 2 lines to {target}" == page.status.text()


def test_rows_are_one_text_line_high_and_the_selected_line_is_shown_whole(qtbot, window):
    long_line = "ERROR " + "x" * 400 + " see https://example.org/help"
    write("files", f"INFO short\n{long_line}\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    assert page.view.rowHeight(0) <= page.fontMetrics().height() + 6
    text = page.model.index(1, 4)
    assert text.data(Qt_tooltip()) == long_line  # the cell is cut; its tooltip is the whole line
    page.view.setCurrentIndex(text)
    detail = page.detail.toPlainText()
    assert long_line in detail and "files" in detail
    assert 'href="https://example.org/help"' in page.detail.toHtml()


def test_on_a_narrow_window_the_log_buttons_fold_into_more_and_still_work(qtbot, window, tmp_path):
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    window.resize(600, 500)
    qtbot.waitUntil(lambda: not page.bar.more.isHidden(), timeout=5000)
    assert page.clear_button in page.bar.folded() and page.export_button in page.bar.folded()
    assert page.bar.more.isVisible() and page.bar.geometry().right() <= page.width()
    page.bar._fill_menu()
    labels = [a.text() for a in page.bar.menu.actions()]
    assert "C&lear view" in labels
    write("files", "INFO one\n")
    qtbot.waitUntil(lambda: len(shown(page)) == 1, timeout=5000)
    next(a for a in page.bar.menu.actions() if a.text() == "C&lear view").trigger()
    assert shown(page) == []
    window.resize(1600, 700)
    qtbot.waitUntil(lambda: page.bar.more.isHidden(), timeout=5000)
    assert page.bar.folded() == [] and page.clear_button.isVisible()


def Qt_tooltip():
    from PySide6.QtCore import Qt

    return Qt.ItemDataRole.ToolTipRole


def test_an_export_that_cannot_be_written_says_so_and_keeps_the_view(qtbot, window, tmp_path):
    write("files", "INFO alpha\n")
    window.show_page("Logs")
    page = window.logs_page
    opened(qtbot, page)
    page.chooser.setCurrentText("files")
    opened(qtbot, page)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")  # (tests run as root here, so a read-only folder would not refuse)
    page.export(str(not_a_folder / "out.txt"))
    assert page.status.text() == (
        f"Could not save the log to {not_a_folder / 'out.txt'}: Not a directory. Choose another place."
    )
    assert len(shown(page)) == 1
    target = tmp_path / "out.txt"
    page.export(str(target))
    assert (target.stat().st_mode & 0o777) == 0o600
