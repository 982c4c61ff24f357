"""Open every dialog of the real app on a real X server and report where each one and its main button are.

Run by tests/gui/test_fits_the_screen.py once per scale factor (`QT_SCALE_FACTOR` must be set before Qt starts).
Each dialog is opened the way the app opens it (from its page's method, with the page as parent), shown, and
measured: its frame, and its default/Save/Next/Add button (the one a person must reach), in the screen's logical
coordinates. Prints one JSON object. With a folder as argument, also saves a PNG of the whole screen per dialog
(`python tests/gui/fit_dialogs.py /tmp/shots` under Xvfb), to look at.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from screenshot_app import CONFIG  # noqa: E402 - after the path is set


def rect(r: object) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]  # type: ignore[attr-defined]


def main(shots: Path | None = None) -> int:
    home = Path(tempfile.mkdtemp(prefix="plugboard-fit-"))
    os.environ["PLUGBOARD_HOME"] = str(home / "plugboard")
    config = home / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps(CONFIG, indent=2))

    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton, QWizard

    from plugboard.core.config.form import ConnectorForm
    from plugboard.gui.main_window import MainWindow

    class NotRunning:
        def status(self) -> object:
            return type("Status", (), {"running": False})()

    app = QApplication(sys.argv[:1])
    window = MainWindow(str(config), claude=NotRunning())
    window.show()

    def settle() -> None:
        for _ in range(20):
            app.processEvents()

    settle()
    page = window.page
    github = next(c for c in page.connectors.all() if c.name == "github")

    def edit() -> object:
        return page.open_dialog(ConnectorForm.from_connector(github), "github")

    def add_custom() -> object:
        return page.open_dialog(None, None)

    def catalog_form() -> object:
        dialog = page.add_from_catalog()
        dialog.select("github")
        return dialog

    openers = {
        "edit connector": edit,
        "add connector": add_custom,
        "catalog": page.add_from_catalog,
        "catalog form": catalog_form,
        "remote wizard": lambda: window.remote_page.open_wizard(),
        "tunnel": lambda: window.remote_page.add_tunnel(),
        "backups": page.open_backups,
        "import": page.open_import,
    }
    screen = window.screen()
    report: dict[str, object] = {"available": rect(screen.availableGeometry()), "dialogs": {}}
    for title, opener in openers.items():
        dialog = opener()
        settle()
        if isinstance(dialog, QWizard):
            button = dialog.button(QWizard.WizardButton.NextButton)
        else:
            box = dialog.findChildren(QDialogButtonBox)
            shown = [b for b in box if b.isVisible()]
            buttons = [b for b in shown[0].buttons() if isinstance(b, QPushButton)] if shown else []
            accepting = [
                b
                for b in buttons
                if shown[0].buttonRole(b)
                in (QDialogButtonBox.ButtonRole.AcceptRole, QDialogButtonBox.ButtonRole.ApplyRole)
            ]
            button = (accepting or buttons)[0]
        top_left = button.mapToGlobal(QPoint(0, 0))
        report["dialogs"][title] = {  # type: ignore[index]
            "frame": rect(dialog.frameGeometry()),
            "button": [button.text(), rect(QRect(top_left, button.size()))],
        }
        if shots is not None:
            screen.grabWindow(0).save(str(shots / f"{title.replace(' ', '-')}.png"))
        dialog.reject()
        settle()
    print(json.dumps(report))
    window.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
