"""The Logs page over real log files written the way the launcher writes them."""

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


def test_history_of_all_connectors_then_live_lines_appear(qtbot, window):
    write("files", "INFO starting files\n")
    write("time", "ERROR boom in time\n")
    window.show_page("Logs")
    page = window.logs_page
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
    page.chooser.setCurrentText("files")
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
    page.chooser.setCurrentText("files")
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
    page.chooser.setCurrentText("files")
    page.level.setCurrentText("Errors only")
    page.copy_selection()
    assert QGuiApplication.clipboard().text().endswith("ERROR beta")
    target = tmp_path / "out.txt"
    page.export(str(target))
    assert target.read_text().strip().endswith("ERROR beta")
    assert "alpha" not in target.read_text()


def test_leaving_the_page_stops_following(qtbot, window):
    window.show_page("Logs")
    assert window.logs_page._live
    window.show_page("Connectors")
    assert not window.logs_page._live
