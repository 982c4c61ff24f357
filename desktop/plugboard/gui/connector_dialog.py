"""Add / edit / duplicate a connector in a form: program, arguments as a list, environment with a "secret" box per
variable, validation as you type, and a sentence saying how Claude will start it.

The rules (what the entry looks like, what is a problem, how saving works) are `core.config.form.ConnectorForm`'s;
this dialog only collects input, runs the checks, the Test and the save on worker threads (finding a program touches
the disk, a secret talks to the keyring, saving waits for the edit lock) and shows the answers.

Editing keeps the entry's shape: a connector Claude starts directly stays so unless "Let Plugboard start it" is
ticked (the explicit, explained choice), a bridge entry is written back as it is, and Save with no change writes
nothing (`wrote` stays False). Secret values are trimmed of the spaces and line breaks around them (`trimmed` names
the keys, and the page says so). Nothing here shows the entry's raw words (flags, JSON): only what they mean.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.config.adding import TRIMMED_NOTE
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.form import ConnectorForm, EnvVar
from plugboard.core.errors import PlugboardError
from plugboard.core.launch.resolve import INSTALL_HINTS, CommandNotFound, resolve_command
from plugboard.core.secrets import keyring as secrets
from plugboard.gui.fit import fit_to_screen, scrolling
from plugboard.gui.widgets import MessageLabel, buddy_label
from plugboard.gui.worker import Workers

# Wait this long after the last keystroke before checking: the checks touch the disk and the keyring.
VALIDATE_DELAY_MS = 250
LAUNCHER_NOTE = (
    "Plugboard then finds the program wherever it is installed, gives it the secrets kept in your keychain, and "
    "notes why it stops."
)


class ConnectorDialog(QDialog):
    def __init__(
        self,
        connectors: Connectors,
        form: ConnectorForm | None = None,
        *,
        original: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self.original = original
        self.setWindowTitle("Edit connector" if original else "Add connector")
        self.workers = Workers(self)
        self.problems: list[str] = ["Checking…"]
        self.wrote = False
        """Whether saving changed Claude's file (Save with no change writes nothing)."""
        self.trimmed: list[str] = []
        """Secret keys whose typed value lost surrounding spaces or line breaks when saved."""
        self.shape = form or ConnectorForm()
        """The form as opened: its entry's shape (Claude starts it directly or not) and the keys kept as they are."""

        self.name = QLineEdit()
        self.name.setAccessibleName("Connector name")
        self.command = QLineEdit()
        self.command.setAccessibleName("Program to run")
        self.command.setPlaceholderText("for example npx, uvx or docker")
        self.browse_command = QPushButton("&Browse…")
        self.browse_command.setAccessibleName("Choose the program")
        self.browse_command.clicked.connect(self._browse_command)
        command_row = QHBoxLayout()
        command_row.addWidget(self.command, 1)
        command_row.addWidget(self.browse_command)
        self.args = QListWidget()
        self.args.setAccessibleName("Arguments, one per line")
        add_arg = QPushButton("Add argument")
        add_arg.clicked.connect(lambda: self._add_arg("", edit=True))
        remove_arg = QPushButton("Remove")
        remove_arg.clicked.connect(self._remove_arg)
        arg_buttons = QHBoxLayout()
        arg_buttons.addWidget(add_arg)
        arg_buttons.addWidget(remove_arg)
        arg_buttons.addStretch(1)
        args_box = QVBoxLayout()
        args_box.addWidget(self.args)
        args_box.addLayout(arg_buttons)

        self.env = QTableWidget(0, 3)
        self.env.setHorizontalHeaderLabels(["Variable", "Value", "Secret"])
        self.env.setAccessibleName("Environment variables")
        self.env.verticalHeader().hide()
        self.env.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        add_env = QPushButton("Add variable")
        add_env.clicked.connect(lambda: self._add_env(EnvVar("")))
        remove_env = QPushButton("Remove")
        remove_env.clicked.connect(self._remove_env)
        env_buttons = QHBoxLayout()
        env_buttons.addWidget(add_env)
        env_buttons.addWidget(remove_env)
        env_buttons.addStretch(1)
        env_box = QVBoxLayout()
        env_box.addWidget(self.env)
        env_box.addLayout(env_buttons)

        self.problem_label = MessageLabel(object_name="problems")  # an install hint's address is a link
        self.problem_label.setAccessibleName("Problems")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setAccessibleName("How Claude will start it")
        self.use_launcher = QCheckBox("Let Plugboard start it")
        self.use_launcher.setToolTip(
            "Plugboard finds the program wherever it is installed, hands it secrets from your keychain and records "
            "why it stops. Claude starts Plugboard's small launcher in front of the same program."
        )
        self.use_launcher.setAccessibleDescription(LAUNCHER_NOTE)
        self.use_launcher_note = QLabel(LAUNCHER_NOTE)
        self.use_launcher_note.setProperty("role", "muted")
        self.use_launcher_note.setWordWrap(True)
        self.use_launcher.setChecked(not self.shape.plain)
        # A new connector always goes through the launcher; an existing one Claude starts directly stays so unless
        # the person ticks this; a bridge (`plugboard proxy`) is Plugboard already.
        offered = original is not None and self.shape.plain and not self.shape.wraps_plugboard
        self.use_launcher.setVisible(offered)
        self.use_launcher_note.setVisible(offered)
        self.use_launcher.toggled.connect(lambda _on: self.changed())

        self.test_output = QPlainTextEdit()
        self.test_output.setReadOnly(True)
        self.test_output.setAccessibleName("Test result")
        self.test_output.setPlaceholderText(
            "Test starts the server on its own and shows what it offers, or what is wrong."
        )
        self.test_output.setMaximumHeight(160)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.test_button = self.buttons.addButton("&Test", QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.clicked.connect(self.run_test)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        body = QWidget()
        form_layout = QFormLayout(body)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addRow("&Name", self.name)
        form_layout.addRow(buddy_label("&Program", self.command), command_row)
        form_layout.addRow("Arguments", args_box)
        form_layout.addRow("Environment", env_box)
        form_layout.addRow(self.problem_label)
        form_layout.addRow(self.use_launcher)
        form_layout.addRow(self.use_launcher_note)
        form_layout.addRow("How Claude starts it", self.preview)
        form_layout.addRow("Test", self.test_output)
        # The fields scroll; the buttons stay in reach under them (a laptop at 150 % is 512 logical pixels tall).
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(body), 1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 620, 640)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self._validate)
        self.name.textChanged.connect(self.changed)
        self.command.textChanged.connect(self.changed)
        self.args.itemChanged.connect(self.changed)

        form = form or ConnectorForm()
        self.name.setText(form.name)
        self.command.setText(form.command)
        for arg in form.args:
            self._add_arg(arg)
        for var in form.env:
            self._add_env(var)
        self.changed()

    # -- reading the widgets -------------------------------------------------------------------------------------

    def form(self) -> ConnectorForm:
        args = [self.args.item(i).text() for i in range(self.args.count())]
        env = []
        for row in range(self.env.rowCount()):
            key, value, secret = self._env_widgets(row)
            env.append(EnvVar(key.text().strip(), value.text(), secret.isChecked()))
        # An entry Claude starts directly stays so unless the person ticked "Let Plugboard start it".
        plain = self.shape.plain and not (self.original is not None and self.use_launcher.isChecked())
        return ConnectorForm(
            self.name.text().strip(),
            self.command.text().strip(),
            args,
            env,
            plain=plain,
            extra=dict(self.shape.extra),
        )

    def _env_widgets(self, row: int) -> tuple[QLineEdit, QLineEdit, QCheckBox]:
        key, value, secret = (self.env.cellWidget(row, c) for c in range(3))
        assert isinstance(key, QLineEdit) and isinstance(value, QLineEdit) and isinstance(secret, QCheckBox)
        return key, value, secret

    # -- editing -------------------------------------------------------------------------------------------------

    def _add_arg(self, text: str, *, edit: bool = False) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.args.addItem(item)
        if edit:
            self.args.setCurrentItem(item)
            self.args.editItem(item)
        self.changed()

    def _browse_command(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Choose the program", self.command.text().strip())
        if path:
            self.command.setText(path)

    def _remove_arg(self) -> None:
        row = self.args.currentRow()
        if row >= 0:
            self.args.takeItem(row)
            self.changed()

    def _add_env(self, var: EnvVar) -> None:
        row = self.env.rowCount()
        self.env.insertRow(row)
        key = QLineEdit(var.key)
        key.setAccessibleName("Variable name")
        value = QLineEdit(var.value)
        value.setAccessibleName("Variable value")
        secret = QCheckBox()
        secret.setAccessibleName("Keep this value in the keychain")
        secret.setChecked(var.secret)
        if var.secret and not var.value:
            value.setPlaceholderText("stored in the keychain (type to replace)")

        def secret_toggled(on: bool) -> None:
            value.setEchoMode(QLineEdit.EchoMode.Password if on else QLineEdit.EchoMode.Normal)
            self.changed()

        for column, widget in enumerate((key, value, secret)):
            self.env.setCellWidget(row, column, widget)
        secret.toggled.connect(secret_toggled)
        secret_toggled(var.secret)
        key.textChanged.connect(self.changed)
        value.textChanged.connect(self.changed)

    def _remove_env(self) -> None:
        row = self.env.currentRow()
        if row >= 0:
            self.env.removeRow(row)
            self.changed()

    # -- checking ------------------------------------------------------------------------------------------------

    def changed(self) -> None:
        self.preview.setText(how_it_starts(self.form()))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.problem_label.setText("Checking…")
        self._timer.start()

    def _validate(self) -> None:
        form = self.form()
        connectors, original = self.connectors, self.original

        def check() -> tuple[ConnectorForm, list[str]]:
            existing = {c.name for c in connectors.all()} - {original}  # a file read: here, not on the GUI thread
            problems = form.problems(
                resolve=resolve_in_words,
                has_secret=lambda name, key: secrets.get_secret(name, key) is not None,
                taken=lambda name: name in existing,
            )
            if form.plain and form.secret_keys and original is not None:
                problems.append("Tick “Let Plugboard start it” to keep secrets in the keychain.")
            return form, problems

        self.workers.start("validate", check, self._validated, lambda message: self._validated((form, [message])))

    def _validated(self, result: tuple[ConnectorForm, list[str]]) -> None:
        form, problems = result
        if form != self.form():
            return  # the user typed on: a newer check is coming
        self.problems = problems
        trimmed = [v.key for v in form.env if v.secret and v.value and v.value != v.value.strip()]
        ready = "Ready to save." + (f" {TRIMMED_NOTE}" if trimmed and not problems else "")
        self.problem_label.setText("\n".join(problems) if problems else ready)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)

    # -- testing -------------------------------------------------------------------------------------------------

    def run_test(self) -> None:
        from plugboard.core.probe.doctor import examine_form
        from plugboard.core.probe.verdict import verdict

        form, _trimmed = self.form().trimmed()
        self.test_button.setEnabled(False)
        self.test_output.setPlainText("Starting it and asking what it offers…")

        def work() -> str:
            result = verdict(examine_form(form), form.secret_keys)
            finding = result.finding
            return "\n".join(x for x in (finding.headline, finding.advice, *finding.details) if x)

        self.workers.start("test", work, self._tested, self._tested)

    def _tested(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.test_output.setPlainText(text)

    # -- saving --------------------------------------------------------------------------------------------------

    def save(self) -> None:
        """Save on a worker (keyring, then the locked write); close when done, or say why not."""
        if self.problems:
            return
        form, trimmed = self.form().trimmed()
        connectors, original = self.connectors, self.original
        self.buttons.setEnabled(False)
        self.problem_label.setText("Saving…")

        def saved(wrote: bool) -> None:
            self.wrote = wrote
            self.trimmed = trimmed
            self.buttons.setEnabled(True)
            self.accept()

        def failed(message: str) -> None:
            self.buttons.setEnabled(True)
            self.problem_label.setText(message)

        self.workers.start("save", lambda: form.save(connectors, original), saved, failed)

    def done(self, result: int) -> None:
        self.workers.join()
        super().done(result)


def resolve_in_words(command: str) -> object:
    """`resolve_command`, with a program that is nowhere explained in plain words and the next step (the core's
    sentence names the folders searched and PATH: right for the command line and the logs, not for this form)."""
    try:
        return resolve_command(command)
    except CommandNotFound as exc:
        hint = INSTALL_HINTS.get(Path(command).name.lower().removesuffix(".exe").removesuffix(".cmd"))
        install = f"Install {hint}" if hint else "Install it"
        raise PlugboardError(
            f"This computer doesn’t have the program “{command}”. {install}, or choose where it is with Browse…"
        ) from exc


def how_it_starts(form: ConnectorForm) -> str:
    """One sentence saying how Claude will start the connector, in words (the entry's raw form is never shown)."""
    program = form.command or "the program"
    if form.wraps_plugboard:
        return "Plugboard's bridge to a remote server: change its address and tunnel on the Remote page."
    secrets = len(form.secret_keys)
    kept = (
        f" {secrets} secret{'s' if secrets != 1 else ''} come{'s' if secrets == 1 else ''} from your keychain."
        if secrets
        else ""
    )
    if form.plain:
        return f"Claude Desktop starts {program} itself."
    return f"Claude Desktop starts it through Plugboard, which finds {program} and records why it stops.{kept}"
