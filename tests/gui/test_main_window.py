"""The main window lists connectors from the real config engine and shows errors in words."""

from plugboard.gui.main_window import MainWindow

CONFIG = '{"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]}}}'


def test_the_window_is_titled_plugboard_and_lists_enabled_and_disabled_connectors(qtbot, claude_config):
    claude_config.write_text(CONFIG.replace("}}}", '}, "time": {"command": "uvx", "args": ["mcp-server-time"]}}}'))
    window = MainWindow(str(claude_config))
    qtbot.addWidget(window)
    window.connectors.disable("time")
    window.reload()
    assert window.windowTitle() == "Plugboard"
    model = window.model
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert rows == [
        ["files", "On", "Local", "npx -y @modelcontextprotocol/server-filesystem"],
        ["time", "Off", "Local", "uvx mcp-server-time"],
    ]


def test_a_broken_config_shows_a_banner_instead_of_failing(qtbot, claude_config):
    claude_config.write_text('{"mcpServers": {},}')
    window = MainWindow(str(claude_config))
    qtbot.addWidget(window)
    assert window.model.rowCount() == 0
    assert not window.banner.isHidden()
    assert "trailing comma" in window.banner.text()


def test_a_change_on_disk_reloads_the_list_and_says_so(qtbot, claude_config):
    claude_config.write_text('{"mcpServers": {}}')
    window = MainWindow(str(claude_config))
    qtbot.addWidget(window)
    assert window.model.rowCount() == 0
    claude_config.write_text(CONFIG)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    assert "changed on disk" in window.banner.text()
