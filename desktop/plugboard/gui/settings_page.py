"""Settings: which Claude config file (discovered, with the Microsoft Store warning), tray and login behaviour, log
retention. Each change is saved at once (`core.settings`); the theme follows the OS (Qt's native style and palette).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.autostart import autostart_enabled, set_autostart
from plugboard.core.claude.discovery import Discovery, discover
from plugboard.core.errors import PlugboardError
from plugboard.core.install import entry_command
from plugboard.core.logs.connector_log import prune_old_logs
from plugboard.core.settings import Settings


class SettingsPage(QWidget):
    config_chosen = Signal(object)
    """The user picked another Claude config file (str), or went back to the discovered one (None)."""

    def __init__(self, settings: Settings, discovery: Discovery, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.config_label = QLabel()
        self.config_label.setWordWrap(True)
        self.config_label.setAccessibleName("Claude Desktop config file")
        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        choose = QPushButton("Choose another file…")
        choose.clicked.connect(self._choose)
        self.use_found = QPushButton("Use the file Plugboard found")
        self.use_found.clicked.connect(lambda: self._set_config(None))
        buttons = QHBoxLayout()
        buttons.addWidget(choose)
        buttons.addWidget(self.use_found)
        buttons.addStretch(1)

        self.close_to_tray = QCheckBox("Closing the window keeps Plugboard running in the tray")
        self.close_to_tray.setChecked(settings.close_to_tray)
        self.close_to_tray.toggled.connect(self._close_to_tray)
        self.start_at_login = QCheckBox("Start Plugboard when I log in")
        self.start_at_login.setChecked(settings.start_at_login or autostart_enabled())
        self.start_at_login.toggled.connect(self._start_at_login)
        self.retention = QSpinBox()
        self.retention.setRange(1, 365)
        self.retention.setSuffix(" days")
        self.retention.setValue(settings.log_retention_days)
        self.retention.setAccessibleName("Keep logs for")
        self.retention.setMaximumWidth(140)
        self.retention.valueChanged.connect(self._retention)
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Claude Desktop config", self.config_label)
        form.addRow("", self.warning)
        form.addRow("", buttons)
        form.addRow("Window", self.close_to_tray)
        form.addRow("Login", self.start_at_login)
        form.addRow("Keep logs for", self.retention)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.show_discovery(discovery)

    def show_discovery(self, discovery: Discovery) -> None:
        where = {"--config": "given on the command line", "PLUGBOARD_CLAUDE_CONFIG": "from PLUGBOARD_CLAUDE_CONFIG"}
        chosen = (
            "chosen in Settings" if self.settings.claude_config else where.get(discovery.source, "found automatically")
        )
        self.config_label.setText(f"{discovery.path}\n({chosen})")
        self.warning.setText("\n".join(discovery.warnings))
        self.warning.setVisible(bool(discovery.warnings))
        self.use_found.setVisible(bool(self.settings.claude_config))

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Claude Desktop config file", "", "Claude config (claude_desktop_config.json);;JSON files (*.json)"
        )
        if path:
            self._set_config(path)

    def _set_config(self, path: str | None) -> None:
        self.settings.claude_config = path
        self.settings.save()
        self.show_discovery(discover(path))
        self.config_chosen.emit(path)

    def _close_to_tray(self, on: bool) -> None:
        self.settings.close_to_tray = on
        self.settings.save()

    def _start_at_login(self, on: bool) -> None:
        try:
            set_autostart(on, [entry_command()])
        except (OSError, PlugboardError) as exc:
            self.message.setText(f"Could not change start at login: {exc}")
            return
        self.settings.start_at_login = on
        self.settings.save()
        self.message.setText("Plugboard starts when you log in." if on else "Plugboard no longer starts at login.")

    def _retention(self, days: int) -> None:
        self.settings.log_retention_days = days
        self.settings.save()
        prune_old_logs(days)
