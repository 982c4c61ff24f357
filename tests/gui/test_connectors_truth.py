"""The Connectors page tells the truth about every connector and fixes what it finds (issue 13), with real servers,
the real keyring (scripts/test-session.sh) and the real config engine: Test from the list and its result card, a
checked secret, the repair of a broken file, plaintext tokens moved in one click, Save without a change, the explicit
launcher choice, removing with the keychain secrets, several undo steps, a first-run empty state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from gui import states
from plugboard.core.entries import BareEntry, LauncherEntry, parse
from plugboard.core.probe.verdict import Action
from plugboard.core.secrets.keyring import get_secret, set_secret
from plugboard.gui.catalog_dialog import CatalogDialog

# A Test starts a server (a Python interpreter and the SDK: about a second here); 60 s bounds a stuck one.
TEST_MS = 60_000
# A write of Claude's file takes milliseconds on a worker; 10 s only bounds a stuck one.
SAVE_MS = 10_000


def test_from_the_list(qtbot: Any, page: Any, name: str) -> None:
    """Select `name`, press Test, and wait for its result card."""
    assert page.select(name)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    wait_tested(qtbot, page, name)


test_from_the_list.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def wait_tested(qtbot: Any, page: Any, name: str) -> None:
    qtbot.waitUntil(lambda: page.testing is None and not page.tests and page.card.name == name, timeout=TEST_MS)


def row(page: Any, name: str) -> Any:
    return page.model.row(page.model.find(name))


def saved(qtbot: Any, page: Any) -> None:
    qtbot.waitUntil(lambda: not page.busy(), timeout=SAVE_MS)


def test_test_from_the_list_shows_a_working_server_in_green_with_its_tools(qtbot: Any, open_window: Any) -> None:
    window = open_window(states.config({"healthy": states.healthy()}))
    page = window.page
    assert row(page, "healthy").status == "Not started by Claude yet" and row(page, "healthy").light == "off"
    test_from_the_list(qtbot, page, "healthy")
    assert page.card.headline.text() == "healthy: Working — 2 tools"
    assert row(page, "healthy").status == "Working — 2 tools" and row(page, "healthy").light == "ok"
    assert not page.card.details.isVisible()  # details are folded away until asked for
    page.card.details_button.click()
    assert "Tools: add, echo" in page.card.details.text()
    assert states.technical_words(page) == []


def test_the_rows_menu_tests_too_and_a_missing_program_offers_its_download(
    qtbot: Any, open_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(states.config({"deno-tool": states.missing_program()}))
    page = window.page
    page.select("deno-tool")
    menu = page.row_menu()
    assert [a.text().replace("&", "") for a in menu.actions()][:2] == ["Test", "Edit…"]
    menu.actions()[0].trigger()
    wait_tested(qtbot, page, "deno-tool")
    assert row(page, "deno-tool").status == "Can't start: Deno is not installed"
    assert row(page, "deno-tool").light == "bad"
    opened: list[str] = []
    monkeypatch.setattr(page, "open_link", opened.append)
    button = page.card.button(Action.INSTALL)
    assert button is not None and button.text() == "Get Deno"
    button.click()
    assert opened == ["https://deno.com"]
    assert states.technical_words(page) == []


@pytest.mark.usefixtures("secret_service")
def test_a_refused_key_is_found_by_the_check_and_setting_a_pasted_key_fixes_it(qtbot: Any, open_window: Any) -> None:
    set_secret("search", states.KEY, "a-made-up-key-000000")
    window = open_window(states.config({"search": states.keyed()}))
    page = window.page
    page.catalog = states.keyed_catalog()
    test_from_the_list(qtbot, page, "search")
    assert row(page, "search").status == "The key was refused"  # its tools were listed: that proves nothing
    button = page.card.button(Action.SET_SECRET)
    assert button is not None and button.text() == "Set the key…"
    button.click()
    page.dialog.value.setText(f"  {states.GOOD_KEY}\n")  # as pasted from a web page, with a line break
    page.dialog.accept()
    qtbot.waitUntil(lambda: "Removed the spaces or line breaks" in page.note.text(), timeout=SAVE_MS)
    wait_tested(qtbot, page, "search")
    assert get_secret("search", states.KEY) == states.GOOD_KEY
    assert row(page, "search").status == "Working — 2 tools" and row(page, "search").light == "ok"


def test_a_server_printing_to_the_wrong_place_is_named_in_plain_words(
    qtbot: Any, open_window: Any, tmp_path: Path
) -> None:
    window = open_window(states.config({"noisy": states.polluter(tmp_path)}))
    page = window.page
    test_from_the_list(qtbot, page, "noisy")
    assert row(page, "noisy").status == "It prints messages Claude can't read"
    assert row(page, "noisy").light == "bad"
    assert states.technical_words(page) == []


def test_an_unreachable_remote_is_red_and_offers_the_remote_page(qtbot: Any, open_window: Any) -> None:
    window = open_window(states.config({"backend": states.unreachable()}))
    page = window.page
    test_from_the_list(qtbot, page, "backend")
    assert row(page, "backend").status == "Your server is unreachable" and row(page, "backend").light == "bad"
    with qtbot.waitSignal(page.remote_page_requested, timeout=SAVE_MS):
        button = page.card.button(Action.OPEN_REMOTE)
        assert button is not None
        button.click()
    with qtbot.waitSignal(page.log_requested, timeout=SAVE_MS) as asked:
        button = page.card.button(Action.OPEN_LOG)
        assert button is not None
        button.click()
    assert asked.args == ["backend"]


def test_a_broken_file_is_explained_disables_what_cannot_work_and_repairs_after_consent(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    window = open_window(states.TRAILING_COMMA)
    page = window.page
    assert page.repair_banner.isVisible()
    assert (
        "mistake on line 3" in page.repair_text.text() and "comma before a closing bracket" in page.repair_text.text()
    )
    assert "plugboard repair" not in page.repair_text.text()
    for action in (page.catalog_action, page.add_action, page.import_action):
        assert not action.isEnabled()
        assert action.toolTip().startswith("Repair Claude's settings file first")
    assert page.backups_action.isEnabled()  # putting back an earlier copy is a way out too
    dialog = page.open_repair()
    assert "Remove 1 trailing comma" in dialog.changes.text()
    assert claude_config.read_text() == states.TRAILING_COMMA  # nothing written before consent
    dialog.accept()
    saved(qtbot, page)
    assert json.loads(claude_config.read_text())["mcpServers"]["time"]["command"] == "uvx"
    assert not page.repair_banner.isVisible() and page.model.find("time") == 0
    assert page.catalog_action.isEnabled()


@pytest.mark.usefixtures("secret_service")
def test_a_plaintext_token_is_announced_and_one_click_moves_it_out_of_every_file(
    qtbot: Any, open_window: Any, claude_config: Path, isolated_home: Path
) -> None:
    window = open_window(states.config({"github": states.plaintext(), "healthy": states.healthy()}))
    page = window.page
    window.connectors.disable("healthy")  # a change made earlier: its backup holds the token too
    page.reload()
    assert page.secrets_banner.isVisible()
    assert page.secrets_text.text().startswith("1 connector keeps a token in plain text in Claude's file")
    qtbot.mouseClick(page.secure_button, Qt.MouseButton.LeftButton)
    saved(qtbot, page)
    assert not page.secrets_banner.isVisible()
    assert "Moved 1 secret to the keychain" in page.note.text()
    assert get_secret("github", "GITHUB_TOKEN") == states.PLAINTEXT_TOKEN
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert states.PLAINTEXT_TOKEN.encode() not in path.read_bytes(), path
    restore = page.open_backups()
    restore.list.setCurrentRow(restore.list.count() - 1)  # the oldest copy, taken when the token was in the file
    restore.restore()
    qtbot.waitUntil(lambda: not restore.isVisible(), timeout=SAVE_MS)
    assert states.PLAINTEXT_TOKEN not in claude_config.read_text()
    wait_tested(qtbot, page, "github")


def test_save_with_no_change_writes_nothing(qtbot: Any, open_window: Any, claude_config: Path) -> None:
    window = open_window(states.config({"healthy": states.healthy()}))
    page = window.page
    before = claude_config.read_bytes()
    dialog = page.open_connector("healthy")
    qtbot.waitUntil(lambda: dialog.problem_label.text() == "Ready to save.", timeout=SAVE_MS)
    assert not dialog.use_launcher.isChecked() and dialog.use_launcher.isVisible()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=SAVE_MS)
    assert claude_config.read_bytes() == before
    assert window.connectors.backups() == []
    assert page.note.text() == "No changes to “healthy”: nothing was written."


def test_letting_plugboard_start_a_connector_is_an_explained_choice_and_undo_turns_it_back(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    window = open_window(states.config({"healthy": states.healthy()}))
    page = window.page
    before = claude_config.read_bytes()
    dialog = page.use_launcher("healthy")
    assert "records why it stops" in " ".join(w.text() for w in dialog.findChildren(type(page.note)))
    dialog.accept()
    saved(qtbot, page)
    assert isinstance(parse(json.loads(claude_config.read_text())["mcpServers"]["healthy"]), LauncherEntry)
    wait_tested(qtbot, page, "healthy")
    assert row(page, "healthy").light == "ok"
    page.undo_last()
    saved(qtbot, page)
    assert claude_config.read_bytes() == before
    assert isinstance(parse(json.loads(claude_config.read_text())["mcpServers"]["healthy"]), BareEntry)


@pytest.mark.usefixtures("secret_service")
def test_removing_offers_to_delete_its_keychain_secrets_and_undo_puts_them_back(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    set_secret("search", states.KEY, states.GOOD_KEY)
    window = open_window(states.config({"search": states.keyed()}))
    page = window.page
    page.select("search")
    dialog = page.remove_connector()
    assert dialog.delete_secrets.isChecked() and dialog.delete_secrets.text() == "Also delete the key from the keychain"
    dialog.accept()
    saved(qtbot, page)
    assert get_secret("search", states.KEY) is None and page.model.rowCount() == 0
    assert "deleted the key from the keychain" in page.note.text()
    page.undo_last()
    saved(qtbot, page)
    assert get_secret("search", states.KEY) == states.GOOD_KEY
    assert json.loads(claude_config.read_text())["mcpServers"]["search"] == states.keyed()


@pytest.mark.usefixtures("secret_service")
def test_a_remove_that_fails_keeps_the_keychain_secrets(qtbot: Any, open_window: Any, claude_config: Path) -> None:
    set_secret("search", states.KEY, states.GOOD_KEY)
    window = open_window(states.config({"search": states.keyed()}))
    page = window.page
    page.select("search")
    dialog = page.remove_connector()
    claude_config.write_text('{"mcpServers": {"search": ')  # the file breaks while the question is open
    dialog.accept()
    qtbot.waitUntil(lambda: not page.busy(), timeout=10_000)
    assert get_secret("search", states.KEY) == states.GOOD_KEY


def test_a_failed_undo_keeps_its_step_and_undo_waits_while_the_file_is_broken(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    window = open_window(states.config({"healthy": states.healthy(), "deno-tool": states.missing_program()}))
    page = window.page
    original = claude_config.read_bytes()
    page.toggle("healthy", False)
    saved(qtbot, page)
    page.toggle("deno-tool", False)
    saved(qtbot, page)
    good = claude_config.read_bytes()
    claude_config.write_bytes(good.replace(b"}\n}", b"},\n}", 1))  # broken behind the page's back
    page.undo_last()  # the worker finds the file broken: nothing is undone
    saved(qtbot, page)
    qtbot.waitUntil(lambda: page.config_problem is not None, timeout=10_000)
    assert page.history.peek() is not None and page.history.peek().label == 'switched off "deno-tool"'
    assert not page.undo_action.isEnabled() and page.undo_action.toolTip().startswith("Repair")
    claude_config.write_bytes(good)  # repaired
    qtbot.waitUntil(lambda: page.config_problem is None, timeout=10_000)
    page.undo_last()
    saved(qtbot, page)
    assert 'Undone: switched off "deno-tool".' in page.note.text()
    page.undo_last()
    saved(qtbot, page)
    assert claude_config.read_bytes() == original


def test_undo_goes_back_several_steps_newest_first(qtbot: Any, open_window: Any, claude_config: Path) -> None:
    window = open_window(states.config({"healthy": states.healthy(), "deno-tool": states.missing_program()}))
    page = window.page
    original = claude_config.read_bytes()
    page.toggle("healthy", False)
    saved(qtbot, page)
    page.select("deno-tool")
    page.remove_connector().accept()
    saved(qtbot, page)
    assert page.undo_action.toolTip().startswith('Undo: removed "deno-tool" (2 step(s)')
    page.undo_button.click()
    saved(qtbot, page)
    assert 'Undone: removed "deno-tool".' in page.note.text()
    page.undo_button.click()
    saved(qtbot, page)
    assert claude_config.read_bytes() == original
    assert not page.undo_action.isEnabled() and page.undo_action.toolTip() == "Nothing to undo."


def test_an_empty_list_shows_a_first_run_panel_that_leads_to_the_catalog(qtbot: Any, open_window: Any) -> None:
    window = open_window('{"mcpServers": {}}')
    page = window.page
    assert page.stack.currentWidget() is page.empty and page.empty.isVisible()
    page.empty_catalog_button.click()
    qtbot.waitUntil(lambda: any(isinstance(w, CatalogDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CatalogDialog))
    dialog.reject()


def test_the_legend_says_what_every_light_means(open_window: Any) -> None:
    page = open_window(states.config({"healthy": states.healthy()})).page
    lights = [a.data() for a in page.legend.actions()]
    assert lights == ["ok", "bad", "warn", "busy", "off"]
    assert page.legend.actions()[0].text().startswith("Working:")
    assert page.legend_button.accessibleName() == "What the lights mean"


class Running:
    """Claude Desktop running: switches are staged until it restarts."""

    def status(self) -> Any:
        return type("Status", (), {"running": True})()


def test_the_page_tells_the_window_how_many_changes_wait_for_a_restart(qtbot: Any, open_window: Any) -> None:
    window = open_window(states.config({"healthy": states.healthy()}), claude=Running())
    page = window.page
    with qtbot.waitSignal(page.pending_changed, timeout=SAVE_MS) as staged:
        page.toggle("healthy", False)
    assert staged.args == [1]
    with qtbot.waitSignal(page.pending_changed, timeout=SAVE_MS) as cancelled:
        page.toggle("healthy", True)  # flipping back: nothing waits any more
    assert cancelled.args == [0]


def test_a_live_tunnels_state_reaches_the_remote_connector_that_uses_it(qtbot: Any, open_window: Any) -> None:
    from plugboard.core.entries import ProxyEntry
    from plugboard.core.tunnel.state import StateKind, TunnelState

    entry = ProxyEntry.new("catalyst", "http://127.0.0.1:5000/mcp", ssh="droplet").to_json()
    page = open_window(states.config({"catalyst": entry, "healthy": states.healthy()})).page
    page.tunnel_changed("droplet", TunnelState(StateKind.RECONNECTING, attempt=2, next_try_s=1.0))
    qtbot.waitUntil(lambda: row(page, "catalyst").light == "warn", timeout=SAVE_MS)
    assert row(page, "catalyst").status == "Waiting for its server: the tunnel is reconnecting"
    assert row(page, "healthy").light == "off"  # only the connector using that tunnel
    page.tunnel_changed("droplet", TunnelState(StateKind.UP, local_port=5000))
    qtbot.waitUntil(lambda: row(page, "catalyst").status == "Not started by Claude yet", timeout=SAVE_MS)
