"""Settings: which Claude config file (discovered, with the Microsoft Store warning), the theme (the system's, or
light or dark), tray and login behaviour, log retention.

Each change is saved at once (`core.settings`), on a worker: saving takes the edit lock, which another Plugboard
process may hold for a while, and the GUI thread never waits for a lock.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.autostart import autostart_enabled, set_autostart
from plugboard.core.claude.discovery import Discovery, discover
from plugboard.core.errors import PlugboardError
from plugboard.core.install import entry_command
from plugboard.core.logs.connector_log import prune_old_logs
from plugboard.core.settings import Settings
from plugboard.gui.theme import THEMES
from plugboard.gui.widgets import ElidedLabel, MessageLabel
from plugboard.gui.worker import JOIN_S, Workers, remaining

# How long the "Keep logs for" number must stand still before older logs are deleted.
PRUNE_AFTER_MS = 1500


class SettingsPage(QWidget):
    config_chosen = Signal(object)
    """The user picked another Claude config file, or went back to the discovered one: its `Discovery`, found once
    here (the window uses it as it is)."""
    theme_chosen = Signal(str)
    """The user picked a theme ("system", "light" or "dark")."""

    def __init__(self, settings: Settings, discovery: Discovery, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.message = MessageLabel()
        self.workers = Workers(self, on_failed=self.message.set_message)
        self._saving = False
        self._dirty = False
        self.config_label = ElidedLabel()
        self.config_label.setAccessibleName("Claude Desktop config file")
        self.config_source = QLabel()
        self.config_source.setProperty("role", "muted")
        self.config_source.setAccessibleName("Where this file came from")
        self.warning = MessageLabel(object_name="warning")
        self.warning.setAccessibleName("Warning")
        choose = QPushButton("Choose another file…")
        choose.setAccessibleDescription("Pick the claude_desktop_config.json Plugboard edits")
        choose.clicked.connect(self._choose)
        self.use_found = QPushButton("Use the file Plugboard found")
        self.use_found.setAccessibleDescription("Go back to the Claude config file Plugboard found by itself")
        self.use_found.clicked.connect(lambda: self._set_config(None))
        buttons = QHBoxLayout()
        buttons.addWidget(choose)
        buttons.addWidget(self.use_found)
        buttons.addStretch(1)

        self.theme = QComboBox()
        for key, label in THEMES.items():
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(max(0, list(THEMES).index(settings.theme) if settings.theme in THEMES else 0))
        self.theme.setAccessibleName("Theme")
        self.theme.setAccessibleDescription("Light or dark colours, or the same as the system")
        self.theme.currentIndexChanged.connect(self._theme)
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
        # Old logs are deleted once the number has stood still for a moment: typing 90 over 30 must not prune at 9
        # days on the way, nor stepping down past the wanted number and back.
        self.retention.setKeyboardTracking(False)
        self.retention.valueChanged.connect(self._retention)
        self._prune_timer = QTimer(self)
        self._prune_timer.setSingleShot(True)
        self._prune_timer.setInterval(PRUNE_AFTER_MS)
        self._prune_timer.timeout.connect(self._prune)
        self.close_to_tray.setAccessibleDescription("When off, closing the window quits Plugboard")
        self.start_at_login.setAccessibleDescription("Plugboard opens in the tray when you log in")
        self.retention.setAccessibleDescription("Older connector logs are deleted")
        self.message.setAccessibleName("Settings message")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Claude Desktop config", self.config_label)
        form.addRow("", self.config_source)
        form.addRow("", self.warning)
        form.addRow("", buttons)
        form.addRow("Theme", self.theme)
        form.addRow("Window", self.close_to_tray)
        # Without a tray (some Linux desktops) closing the window quits: the choice would promise what cannot be.
        form.setRowVisible(self.close_to_tray, QSystemTrayIcon.isSystemTrayAvailable())
        form.addRow("Login", self.start_at_login)
        form.addRow("Keep logs for", self.retention)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.show_discovery(discovery)

    def show_discovery(self, discovery: Discovery) -> None:
        where = {
            "--config": "set when Plugboard was started",
            "PLUGBOARD_CLAUDE_CONFIG": "set when Plugboard was started",
        }
        chosen = (
            "chosen in Settings" if self.settings.claude_config else where.get(discovery.source, "found automatically")
        )
        self.config_label.setText(str(discovery.path))
        self.config_source.setText(f"({chosen})")
        self.warning.set_message("\n".join(discovery.warnings))
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
        self._save()
        discovery = discover(path)
        self.show_discovery(discovery)
        self.config_chosen.emit(discovery)

    def _close_to_tray(self, on: bool) -> None:
        self.settings.close_to_tray = on
        self._save()

    def _start_at_login(self, on: bool) -> None:
        try:
            set_autostart(on, [entry_command()])
        except (OSError, PlugboardError) as exc:
            with QSignalBlocker(self.start_at_login):
                self.start_at_login.setChecked(not on)  # the box shows what is true
            self.message.set_message(f"Could not change start at login: {exc}")
            return
        self.settings.start_at_login = on
        self._save()
        self.message.set_message("Plugboard starts when you log in." if on else "Plugboard no longer starts at login.")

    def _retention(self, days: int) -> None:
        self.settings.log_retention_days = days
        self._save()
        self._prune_timer.start()

    def _prune(self) -> None:
        days = self.settings.log_retention_days
        self.workers.start("prune-logs", lambda: prune_old_logs(days), on_done=lambda _r: None)

    def _theme(self, _index: int) -> None:
        choice = str(self.theme.currentData())
        self.settings.theme = choice
        self._save()
        self.theme_chosen.emit(choice)

    def _save(self) -> None:
        """Save on a worker, one save at a time; a change made meanwhile is saved once that one is done, so the
        newest settings are the ones left in the file."""
        if self._saving:
            self._dirty = True
            return
        self._saving, self._dirty = True, False
        values = Settings(**vars(self.settings))
        self.workers.start("settings-save", values.save, on_done=self._saved, on_failed=self._save_failed)

    def _saved(self, _result: object = None) -> None:
        self._saving = False
        if self._dirty:
            self._save()

    def _save_failed(self, message: str) -> None:
        self.message.set_message(f"Not saved: {message}")
        self._saved()

    def shutdown(self, deadline: float | None = None) -> None:
        """Wait for a save still running, until `deadline` (`time.monotonic()`) at most."""
        self.workers.join(remaining(deadline, JOIN_S))
