"""Enter clicks the focused button (gui/keys.py), once."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QPushButton, QVBoxLayout, QWidget

from plugboard.gui.keys import install_enter_presses


def test_enter_clicks_the_focused_button_once_and_leaves_a_line_edit_to_its_dialog(qtbot):
    presses = install_enter_presses(QApplication.instance())
    try:
        window = QWidget()
        qtbot.addWidget(window)
        button = QPushButton("Restart Claude now", window)
        QVBoxLayout(window).addWidget(button)
        window.show()
        qtbot.waitExposed(window)
        clicks = []
        button.clicked.connect(lambda: clicks.append(1))
        window.activateWindow()
        button.setFocus()
        qtbot.waitUntil(button.hasFocus, timeout=2000)
        qtbot.keyClick(button, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: clicks == [1], timeout=2000)

        dialog = QDialog()
        qtbot.addWidget(dialog)
        field = QLineEdit(dialog)
        ok = QPushButton("OK", dialog)
        ok.setDefault(True)
        other = QPushButton("Other", dialog)
        layout = QVBoxLayout(dialog)
        for widget in (field, ok, other):
            layout.addWidget(widget)
        hits = []
        ok.clicked.connect(lambda: hits.append("ok"))
        other.clicked.connect(lambda: hits.append("other"))
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        other.setFocus()
        qtbot.waitUntil(other.hasFocus, timeout=2000)
        qtbot.keyClick(other, Qt.Key.Key_Enter)
        qtbot.waitUntil(lambda: hits == ["other"], timeout=2000)  # the focused one, not also the default
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=2000)
        qtbot.keyClick(field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: hits == ["other", "ok"], timeout=2000)  # a field's Enter: the dialog's default
    finally:
        QApplication.instance().removeEventFilter(presses)
