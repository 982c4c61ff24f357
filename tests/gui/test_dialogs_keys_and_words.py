"""What a new user met in the dialogs (issue: first-use trial at 150 %): the catalog's Enter and Tab, the words the
forms use, the remote wizard's placeholders and Alt+N, and the combo boxes' and buttons' look in both themes.

The dialogs are opened from the real main window on the test's Claude config (real config engine, real keyring)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLabel, QPushButton, QWizard

from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.form import ConnectorForm
from plugboard.gui import theme
from plugboard.gui.remote_wizard import RemoteWizard

# A check or a write of Claude's file takes milliseconds; 10 s only bounds a stuck worker.
WORKER_MS = 10_000


@pytest.fixture
def window(open_window):
    return open_window('{\n  "mcpServers": {\n    "time": {"command": "uvx", "args": ["mcp-server-time"]}\n  }\n}')


@pytest.fixture
def catalog(qtbot, window):
    dialog = window.page.add_from_catalog()
    qtbot.waitExposed(dialog)
    yield dialog
    if dialog.isVisible():
        dialog.reject()


# -- the catalog's keyboard ------------------------------------------------------------------------------------------


def test_enter_in_the_catalog_search_opens_the_first_card_and_never_closes_the_dialog(qtbot, catalog):
    catalog.search.setFocus()
    qtbot.keyClicks(catalog.search, "github")
    first = catalog.visible_cards()[0]
    qtbot.keyClick(catalog.search, Qt.Key.Key_Return)
    print("DEBUG", catalog.search.text(), catalog.visible_cards(), catalog.steps.currentIndex(), catalog.item)
    assert catalog.isVisible()
    assert catalog.steps.currentWidget() is catalog.form_page
    assert catalog.item is not None and catalog.item.id == first
    assert catalog.added is None


def test_enter_in_a_catalog_search_that_matches_nothing_does_nothing(qtbot, catalog):
    qtbot.keyClicks(catalog.search, "zzzz-nothing-like-this")
    assert catalog.visible_cards() == []
    qtbot.keyClick(catalog.search, Qt.Key.Key_Return)
    print("DEBUG", catalog.search.text(), catalog.visible_cards(), catalog.steps.currentIndex(), catalog.item)
    assert catalog.isVisible()
    assert catalog.steps.currentWidget() is catalog.browse_page


def test_tab_goes_from_the_search_to_the_category_to_the_cards_in_order_then_cancel(qtbot, catalog):
    catalog.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is catalog.search)
    order = []
    for _ in range(len(catalog.visible_cards()) + 2):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    cards = [catalog.cards[i] for i in catalog.visible_cards()]
    assert order[0] is catalog.category
    assert order[1 : 1 + len(cards)] == cards
    last = order[-1]
    assert isinstance(last, QPushButton) and last.text() == "Cancel"


def test_enter_in_a_filled_catalog_form_that_is_ready_adds_the_connector(qtbot, catalog, claude_config):
    catalog.select("memory")
    qtbot.waitUntil(lambda: catalog.message.text() == "Ready to add.", timeout=WORKER_MS)
    catalog.name.setFocus()
    qtbot.keyClick(catalog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not catalog.isVisible(), timeout=WORKER_MS)
    assert catalog.added == "memory"
    assert "memory" in json.loads(claude_config.read_text())["mcpServers"]


def test_an_optional_field_says_optional_once(qtbot, catalog):
    catalog.select("remote")
    labels = [
        catalog.form_box.itemAt(row, catalog.form_box.ItemRole.LabelRole).widget().text()
        for row in range(catalog.form_box.rowCount())
    ]
    assert "Access token (optional)" in labels
    assert not [label for label in labels if label.count("optional") > 1]


# -- the connector form's words --------------------------------------------------------------------------------------


def test_a_program_that_is_not_installed_is_explained_in_plain_words_with_the_next_step(qtbot, window):
    dialog = window.page.open_dialog(ConnectorForm("weather", "weather-mcp-server-not-installed"), None)
    qtbot.waitUntil(lambda: dialog.problem_label.text() != "Checking…", timeout=WORKER_MS)
    text = dialog.problem_label.text()
    assert "This computer doesn’t have the program “weather-mcp-server-not-installed”" in text
    assert "Browse…" in text and dialog.browse_command.text().replace("&", "") == "Browse…"
    for engineer_word in ("`", "PATH", "absolute path", "searched"):
        assert engineer_word not in text
    dialog.reject()


def test_let_plugboard_start_it_is_explained_in_one_plain_line_beside_the_box(qtbot, window):
    time_form = ConnectorForm.from_connector(window.page.connectors.get("time"))
    dialog = window.page.open_dialog(time_form, "time")
    qtbot.waitExposed(dialog)
    assert dialog.use_launcher.isVisible()
    assert dialog.use_launcher_note.isVisible()
    note = dialog.use_launcher_note.text()
    assert note.startswith("Plugboard then finds the program") and "\n" not in note
    assert dialog.use_launcher.accessibleDescription() == note
    dialog.reject()


# -- the remote wizard -------------------------------------------------------------------------------------------------


@pytest.fixture
def wizard(qtbot, claude_config):
    claude_config.write_text('{\n  "mcpServers": {}\n}')
    wizard = RemoteWizard(Connectors(discover(str(claude_config))))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    yield wizard
    if wizard.isVisible():
        wizard.reject()


def test_the_wizards_placeholders_read_as_examples_not_as_values(wizard):
    for field in (wizard.host, wizard.key_file, wizard.name):
        assert "for example" in field.placeholderText(), field.accessibleName()
        assert field.text() == ""


def test_alt_n_never_types_into_a_field_and_no_label_takes_it_from_next(qtbot, wizard):
    wizard.host.setFocus()
    qtbot.waitUntil(lambda: wizard.host.hasFocus())
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClick(wizard.host, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    assert wizard.host.text() == ""  # Next is not ready: nothing happens, and no "n" appears
    assert wizard.currentPage() is wizard.server_page
    mnemonics = [label.text() for label in wizard.findChildren(QLabel) if "&n" in label.text().lower()]
    assert mnemonics == []
    assert wizard.buttonText(QWizard.WizardButton.NextButton).lower().count("&n") == 1


# -- the look (Fusion: the style sheet draws the controls) -------------------------------------------------------------


def colours_in(image, rect=None) -> set[str]:
    region = image.copy(rect) if rect is not None else image
    return {QColor(region.pixel(x, y)).name() for x in range(0, region.width()) for y in range(0, region.height())}


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
# The offscreen platform (headless tests) cannot raise a popup or grab the keyboard for it; the popup still shows.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)", extend=True)
def test_a_combo_box_draws_its_arrow_and_its_list_shows_every_item_whole_and_the_highlighted_one_readable(
    qtbot, window, dark
):
    if not window.theme.fusion:
        pytest.skip("the native style draws its own combo boxes")
    window.theme.set_choice(theme.DARK if dark else theme.LIGHT)
    c = theme.colours(dark)
    combo = QComboBox(window)
    combo.addItems(list(theme.THEMES.values()))
    combo.resize(240, combo.sizeHint().height())
    combo.show()
    qtbot.waitExposed(combo)

    arrow = combo.grab(combo.rect().adjusted(combo.width() - theme.ARROW_ROOM, 0, 0, 0)).toImage()
    assert colours_in(arrow) - {c["button"], c["border"]}, "no arrow drawn"

    combo.showPopup()
    view = combo.view()
    qtbot.waitExposed(view)
    last = view.visualRect(view.model().index(combo.count() - 1, 0))
    assert view.viewport().rect().contains(last), "the last item is cut"
    view.selectionModel().setCurrentIndex(view.model().index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    row = view.visualRect(view.model().index(1, 0))
    shot = view.viewport().grab(row).toImage()
    seen = colours_in(shot)
    assert c["highlight"] in seen, "the highlighted item has no highlight"
    text = QColor(c["highlighted_text"]).getRgb()[:3]

    def near_text(name: str) -> bool:
        return sum(abs(a - b) for a, b in zip(QColor(name).getRgb()[:3], text, strict=True)) < 60

    close_to_text = [name for name in seen if near_text(name)]
    assert close_to_text, "the highlighted item's text is not drawn in the highlighted-text colour"
    combo.hidePopup()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_disabled_default_button_has_no_highlight_border(qtbot, window, dark):
    if not window.theme.fusion:
        pytest.skip("the native style draws its own buttons")
    window.theme.set_choice(theme.DARK if dark else theme.LIGHT)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, window)
    button = box.button(QDialogButtonBox.StandardButton.Ok)
    button.setDefault(True)
    button.setEnabled(False)
    box.show()
    qtbot.waitExposed(box)
    image = button.grab().toImage()
    edge = colours_in(image, image.rect().adjusted(0, image.height() // 2, -(image.width() - 3), 0))
    assert theme.colours(dark)["highlight"] not in edge
