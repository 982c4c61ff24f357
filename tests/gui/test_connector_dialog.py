"""The connector form against the real config engine and the real keyring (run inside scripts/test-session.sh)."""

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from plugboard.core.config.form import EnvVar
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets

SECRET = "xoxb-secret-value-42"


# A write of Claude's file takes milliseconds; 10 s only bounds a stuck worker.
SAVE_MS = 10_000


def saved(qtbot, page) -> None:
    """Wait for the page's writes (they run on a worker, off the GUI thread) to be done."""
    qtbot.waitUntil(lambda: not page.busy(), timeout=SAVE_MS)


def closed(qtbot, dialog) -> None:
    """Wait for a dialog that saves on a worker to close."""
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=SAVE_MS)


def wait_for_tests(qtbot, page) -> None:
    """Wait for the Test the page starts by itself after a save to end (it starts a server)."""
    qtbot.waitUntil(lambda: page.testing is None and not page.tests, timeout=60_000)


@pytest.fixture
def window(open_window):
    return open_window('{\n  "mcpServers": {\n    "time": {"command": "uvx", "args": ["mcp-server-time"]}\n  }\n}')


def save_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


def wait_checked(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.problem_label.text() != "Checking…", timeout=10000)


def test_a_secret_entered_in_the_form_goes_to_the_keyring_and_never_to_the_file(
    qtbot, window, claude_config, secret_service, isolated_home
):
    dialog = window.page.add_connector()
    qtbot.keyClicks(dialog.name, "slack")
    qtbot.keyClicks(dialog.command, sys.executable)
    dialog._add_arg("-m")
    dialog._add_arg("slack_server")
    dialog._add_env(EnvVar("SLACK_BOT_TOKEN", "", secret=True))
    _key, value, secret_box = dialog._env_widgets(0)
    assert secret_box.isChecked()
    assert value.echoMode() == value.EchoMode.Password
    wait_checked(qtbot, dialog)
    assert (
        "Enter a value for the secret SLACK_BOT_TOKEN: an empty secret is never stored." in dialog.problem_label.text()
    )
    assert not save_button(dialog).isEnabled()
    qtbot.keyClicks(value, SECRET)
    wait_checked(qtbot, dialog)
    assert dialog.problem_label.text() == "Ready to save."
    assert SECRET not in dialog.preview.text()
    assert "1 secret comes from your keychain" in dialog.preview.text()
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    closed(qtbot, dialog)
    entry = json.loads(claude_config.read_text())["mcpServers"]["slack"]
    assert entry == {
        "command": entry_command(),
        "args": ["run", "slack", "--secret", "SLACK_BOT_TOKEN", "--", sys.executable, "-m", "slack_server"],
    }
    assert secrets.get_secret("slack", "SLACK_BOT_TOKEN") == SECRET
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert "Saved “slack”" in window.page.note.text()
    wait_for_tests(qtbot, window.page)


def test_validation_names_a_program_that_cannot_be_found_and_a_taken_name(qtbot, window):
    dialog = window.page.add_connector()
    qtbot.keyClicks(dialog.name, "time")
    qtbot.keyClicks(dialog.command, "no-such-program-xyz")
    wait_checked(qtbot, dialog)
    text = dialog.problem_label.text()
    assert 'A connector called "time" already exists.' in text
    assert "no-such-program-xyz" in text
    assert not save_button(dialog).isEnabled()
    dialog.reject()


def test_the_form_shows_the_add_rules_in_the_words_the_command_line_uses(qtbot, window):
    dialog = window.page.add_connector()
    qtbot.keyClicks(dialog.name, "-x")
    qtbot.keyClicks(dialog.command, sys.executable)
    dialog._add_env(EnvVar("1BAD", "1"))
    dialog._add_env(EnvVar("TOKEN", "t"))
    dialog._add_env(EnvVar("TOKEN", "", secret=True))
    wait_checked(qtbot, dialog)
    assert dialog.problem_label.text().splitlines() == [
        'A connector name cannot start with "-": Plugboard would read it as an option.',
        '"1BAD" is not a valid variable name (letters, digits and _, not starting with a digit).',
        "TOKEN is given both as a plain value and as a secret; keep one.",
    ]
    assert not save_button(dialog).isEnabled()
    dialog.reject()


def test_edit_rename_then_undo_restores_the_original(qtbot, window, claude_config):
    original = claude_config.read_text()
    page = window.page
    page.table.selectRow(0)
    dialog = page.edit_connector()
    assert dialog.command.text() == "uvx" and dialog.args.item(0).text() == "mcp-server-time"
    dialog.name.setText("clock")
    dialog.command.setText(sys.executable)
    wait_checked(qtbot, dialog)
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    closed(qtbot, dialog)
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["clock"]
    # Claude started it directly before, and still does: editing never wraps it in the launcher by itself.
    assert json.loads(claude_config.read_text())["mcpServers"]["clock"]["command"] == sys.executable
    assert page.undo_button.isEnabled()
    wait_for_tests(qtbot, page)
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    saved(qtbot, page)
    assert json.loads(claude_config.read_text()) == json.loads(original)


def remove_selected(qtbot, page) -> None:
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    page.dialog.accept()
    saved(qtbot, page)


def test_remove_then_undo_brings_the_connector_back(qtbot, window, claude_config):
    page = window.page
    page.table.selectRow(0)
    remove_selected(qtbot, page)
    assert json.loads(claude_config.read_text())["mcpServers"] == {}
    assert "Removed “time”" in page.note.text()
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    saved(qtbot, page)
    assert json.loads(claude_config.read_text())["mcpServers"] == {
        "time": {"command": "uvx", "args": ["mcp-server-time"]}
    }


def test_duplicate_opens_the_form_with_a_free_name(qtbot, window):
    page = window.page
    page.table.selectRow(0)
    dialog = page.duplicate_connector()
    assert dialog.name.text() == "time copy"
    assert dialog.original is None
    dialog.reject()


SERVERS = Path(__file__).resolve().parents[1] / "servers"


def test_the_test_button_shows_what_a_healthy_server_offers(qtbot, window):
    dialog = window.page.add_connector()
    dialog.name.setText("healthy")
    dialog.command.setText(sys.executable)
    dialog._add_arg(str(SERVERS / "healthy_server.py"))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=60000)
    result = dialog.test_output.toPlainText()
    assert result.startswith("Working — 2 tools")
    assert "Tools: add, echo" in result
    dialog.reject()


def test_the_test_button_explains_a_server_that_crashes_at_start(qtbot, window):
    dialog = window.page.add_connector()
    dialog.name.setText("crashy")
    dialog.command.setText(sys.executable)
    dialog._add_arg(str(SERVERS / "crash_at_start_server.py"))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=60000)
    result = dialog.test_output.toPlainText()
    assert result.startswith("Stops as soon as it starts")
    assert "fatal: DATABASE_URL is not set" in result  # the server's own last words, in the details
    assert "exit code" not in result
    dialog.reject()


def test_restoring_a_backup_from_the_app_puts_the_earlier_file_back(qtbot, window, claude_config):
    original = claude_config.read_text()
    page = window.page
    page.table.selectRow(0)
    remove_selected(qtbot, page)
    assert json.loads(claude_config.read_text())["mcpServers"] == {}
    dialog = page.open_backups()
    assert dialog.list.count() == 1 and dialog.list.item(0).text().startswith("Before you removed time — today ")
    dialog.list.setCurrentRow(0)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    closed(qtbot, dialog)
    assert claude_config.read_text() == original
    assert "Put back the copy “Before you removed time" in page.note.text()
