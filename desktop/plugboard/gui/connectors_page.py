"""The Connectors page: every connector with its badge, the line that says whether it works, and its switch.

What the page shows is true and actionable (issue 13):
- each row's light and line come from the core health model (`core.probe.health`): green only after a real MCP
  handshake since the last change, never green while a log reports a failure; "What the lights mean" is the legend;
- Test runs from the list (a button, the row's menu) and by itself after add, edit and import; its result is a card
  (`ResultCard`) with a headline, advice, a button for each step the app can take, and details folded away;
- a file Claude cannot read shows what is wrong in words and a Repair button (preview, consent, apply); actions that
  cannot work then are disabled with the reason as their tooltip;
- plaintext secrets in Claude's file are announced at once, with one click to move them to the keychain (which also
  scrubs every backup holding them);
- removing a connector offers to delete its keychain secrets; undo goes several steps back (`core.config.undo`);
- a remote connector that signs in (`--oauth`) without a usable sign-in says "Sign in needed" in its row, and its
  row menu and its result card offer Sign in: the same sign-in as `plugboard login NAME`
  (`core.bridge.oauth.session.sign_in`) on a worker, in the system browser; afterwards the health model learns what
  the keyring now holds and the connector is tested again. If no browser opens, the page shows the address to open;
- what the core did by itself is said in words: when Claude Desktop saved its older copy of the file over a connector
  switched on meanwhile and the wipe guard put it back (`core.notices`, kind "restored"), a banner says so and the
  restart banner offers to load it. The page subscribes to the notices when it is made and unsubscribes when it goes
  (`shutdown`, or its destruction); a notice may come from any thread (a worker's read of the file reconciles too),
  so it is re-emitted as a queued signal and shown on the GUI thread.

And it fits every screen and hand (issue 14, the page's part): the rows keep their places when switched (a stable
order kept here, so the row under the pointer stays the same connector); the toolbar folds into "More…" when narrow
(`ActionBar`); cells elide with the full text on hover; Tab leaves the table (no cell-by-cell trap), Space switches
the focused connector and Enter opens it; every light and switch has an accessible name and description; an empty
list shows a first-run panel that leads to the catalog.

The GUI thread never waits: switch clicks, every write of Claude's file (remove, undo, repair, restore, import, the
secret move, saving the form), keyring calls and Tests run on workers (`Workers`), in click order for switches. Claude
Desktop's state is polled on a worker too. While Claude runs, switches are staged
(`core.config.apply.PendingChanges`) and a banner offers "Restart Claude now"; `pending_changed` tells the window
how many changes wait.

Hooks for the window (the shell): `pending_changed(int)`, `apply_now()`, `add_from_catalog()`, `open_connector(name)`,
`undo_last()`; it should connect `log_requested(name)` to its Logs page, `remote_page_requested` to the Remote page,
and feed live tunnel states into `tunnel_changed(profile, state)`.
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from plugboard.core import notices
from plugboard.core.claude.app import ClaudeApp, ClaudeStatus
from plugboard.core.claude.first_run import claude_setup
from plugboard.core.clients.catalog import check_for, load_catalog
from plugboard.core.clients.catalog import describe as describe_connector
from plugboard.core.clients.remote_entries import ConnectOutcome, connect
from plugboard.core.config import undo
from plugboard.core.config.adding import TRIMMED_NOTE, trim_secret
from plugboard.core.config.apply import WIPE_GUARD_S, ApplyOutcome, PendingChanges, apply_changes
from plugboard.core.config.claude_file import read_raw
from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.config.form import ConnectorForm
from plugboard.core.config.repair import RepairPlan, describe_problem, plan_repair
from plugboard.core.config.secure import Plaintext, SecureAllOutcome, find_plaintext, secure_all
from plugboard.core.entries import BareEntry, LauncherEntry
from plugboard.core.errors import ConfigError, PlugboardError
from plugboard.core.probe.doctor import CheckCall, examine_connector
from plugboard.core.probe.health import HealthMonitor, HealthState, secret_keys, signs_in
from plugboard.core.probe.verdict import Action, Step, Verdict, secret_words, verdict
from plugboard.core.tunnel.state import TunnelState
from plugboard.gui.action_bar import ActionBar
from plugboard.gui.backups_dialog import BackupsDialog, Restored
from plugboard.gui.catalog_dialog import CatalogDialog
from plugboard.gui.confirm_dialogs import LauncherDialog, RemoveDialog, RepairDialog, SecretDialog
from plugboard.gui.connector_dialog import ConnectorDialog
from plugboard.gui.connectors_model import DESCRIPTION, LEGEND_TEXT, LIGHTS, NAME, STATUS, SWITCH, ConnectorsModel
from plugboard.gui.icons import status_dot
from plugboard.gui.import_dialog import ImportDialog
from plugboard.gui.name_delegate import NameDelegate, row_height
from plugboard.gui.result_card import ResultCard
from plugboard.gui.toggle_delegate import ToggleDelegate
from plugboard.gui.worker import Workers

if TYPE_CHECKING:
    from plugboard.core.bridge.oauth.session import SignedIn, StoredSignIn

# Whether Claude Desktop runs is a process-table scan (~15 ms on a worker thread). A switch click always asks
# afresh, so the poll only notices Claude quitting by itself (to write staged switches) and keeps the banner true:
# every 10 s is enough, every 2 s while switches wait. (Scanning every 3 s cost ~0.5 % CPU idle.)
CLAUDE_POLL_MS = 10_000
CLAUDE_POLL_PENDING_MS = 2000
# The connector column takes this share of the room the light and the switch leave: its line ("Your server is
# unreachable: the tunnel is reconnecting") is what a person reads first; "What it does" takes the rest.
NAME_SHARE = 0.58
BROKEN_REASON = "Repair Claude's settings file first (the banner above says how)."
SELECT_REASON = "Select a connector first."
# Said after a change while its Test runs; taken out of the note when the result is in.
TESTING = " Testing it…"


@dataclass(frozen=True)
class Switched:
    """What a switch click did, found on a worker: written at once, or to be staged because Claude Desktop runs."""

    name: str
    wanted: bool
    claude: ClaudeStatus
    listed: list[Connector] | None = None
    """The connectors as the file holds them after the write, read on the worker too."""

    @property
    def staged(self) -> bool:
        return bool(self.claude.running)


def _listed(names: tuple[str, ...]) -> str:
    """“a”, “a” and “b”, “a”, “b” and “c”."""
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _banner(name: str) -> tuple[QFrame, QLabel, QHBoxLayout]:
    frame = QFrame()
    frame.setObjectName(name)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    text = QLabel()
    text.setWordWrap(True)
    row = QHBoxLayout(frame)
    row.setContentsMargins(8, 4, 8, 4)
    row.addWidget(text, 1)
    frame.hide()
    return frame, text, row


class ConnectorsPage(QWidget):
    claude_progress = Signal(float)
    remote_requested = Signal()
    """"Add remote…" was clicked: the window opens the Remote connector wizard (it lives on the Remote page)."""
    remote_page_requested = Signal()
    """A result's "Open Remote": the window shows the Remote page (the tunnel and the server's address)."""
    log_requested = Signal(str)
    """A result's "Open the log": the window shows the Logs page for this connector."""
    applied = Signal()
    """"Restart Claude now" finished (well or not); staged switches are written or reported."""
    rows_changed = Signal(list)
    """The rows shown changed (for the tray's quick switches and notifications)."""
    wrote = Signal()
    """Emitted after this page changed Claude's config, so the window does not report its own write as foreign."""
    idle = Signal()
    """Every switch click, remove and undo is written (or staged): the window may quit now."""
    pending_changed = Signal(int)
    """How many changes wait for Claude Desktop to restart (staged switches and writes it has not loaded)."""
    tested = Signal(object)
    """A Test finished: its `Verdict`."""
    sign_in_address = Signal(str, str)
    """(connector, address) a sign-in sends the browser to, from its worker: shown in case no browser opens."""
    signed_in = Signal(str)
    """A sign-in from the app finished well; the connector is being tested again."""
    notice_heard = Signal(object)
    """A core `notices.Notice`, re-emitted from whichever thread emitted it; shown on the GUI thread."""
    claude_status_changed = Signal(bool)
    """Whether Claude Desktop runs, after each look (the header shows it: one scan, one answer)."""

    def __init__(self, connectors: Connectors, claude: ClaudeApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectorsPage")
        self.connectors = connectors
        self.claude = claude
        self.pending = PendingChanges()
        self.claude_running = False
        self.claude_known = False
        self.guard_seconds = WIPE_GUARD_S
        self.catalog = load_catalog()
        self.unloaded = 0
        """Changes written while Claude runs: it loads them at its next start."""
        self.history = undo.History()
        self.workers = Workers(self, on_failed=self.show_note)
        self.switches: list[tuple[str, bool]] = []
        """Switch clicks not yet written or staged, oldest first (one runs at a time, on a worker)."""
        self.switching: tuple[str, bool] | None = None
        """The switch click a worker is handling now."""
        self.writing = False
        """A write of Claude's file (remove, undo, repair, restore, secure, …) runs on a worker."""
        self.order: list[str] = []
        """The rows' order: a connector keeps its place when it is switched, edited or staged."""
        self.tests: list[str] = []
        """Connectors waiting for a Test (one runs at a time: each starts a server)."""
        self._testing: str | None = None
        self.signing: set[str] = set()
        """Connectors whose sign-in (in the browser) runs now: one at a time each."""
        self.config_problem: ConfigError | None = None
        self.repair: RepairPlan | None = None
        self._repair_raw: bytes | None = None
        self.plaintext: list[Plaintext] = []
        self.dialog: QDialog | None = None
        """The last small question opened (remove, repair, launcher, secret), for the window and tests."""
        self._last_pending = 0
        self._cancel_tests = threading.Event()
        """Set when the page goes: a Test still starting its server stops (and stops the server) at once."""
        self._stop_apply = threading.Event()
        """Set when the page goes: an apply's wipe guard ends at once."""
        self.applying = False
        """A restart of Claude Desktop (`apply_now`) is under way."""

        self.health = HealthMonitor(connectors.discovery.logs_dir)
        self.model = ConnectorsModel()
        self.model.toggle_requested.connect(self.toggle)
        self.model.rows_changed.connect(self.rows_changed.emit)
        self.model.rows_changed.connect(lambda _rows: self._selection_changed())
        self.model.watch(self.health)

        self._build_actions()
        self._build_banners()
        self._build_table()
        self._build_empty()

        self.card = ResultCard()
        self.card.step_chosen.connect(self.take_step)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.bar, 1)
        top.addWidget(self.legend_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        for widget in (
            self.repair_banner,
            self.restored_banner,
            self.secrets_banner,
            self.restart_banner,
            self.note,
            self.card,
        ):
            layout.addWidget(widget)
        layout.addWidget(self.stack, 1)

        self.claude_progress.connect(self._show_progress)
        self.sign_in_address.connect(self._show_sign_in_address)
        # Queued even when the notice comes from the GUI thread: it is emitted in the middle of a reload, which
        # would otherwise hide or overwrite what it shows.
        self.notice_heard.connect(self._show_notice, Qt.ConnectionType.QueuedConnection)
        self._stop_notices = notices.subscribe(self._relay_notice)
        stop_notices = self._stop_notices  # not `self`: the page's Python object may be half gone by then
        self.destroyed.connect(lambda *_: stop_notices())
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(CLAUDE_POLL_MS)
        self.poll_timer.timeout.connect(self.poll_claude)
        self.poll_timer.start()
        self.reload()
        self.health.start()
        self.poll_claude()

    # -- building ----------------------------------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], object], tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setIconText(text.replace("&", ""))  # a tool button would otherwise drop the "…" that says "asks more"
        action.triggered.connect(lambda _checked=False: slot())
        if tip:
            action.setToolTip(tip)
        action.setData(tip)
        return action

    def _build_actions(self) -> None:
        self.catalog_action = self._action("Add from &catalog…", self.add_from_catalog, "Popular connectors, ready")
        self.test_action = self._action(
            "&Test", self.test_selected, "Start the selected connector here and check that it works"
        )
        self.edit_action = self._action("&Edit…", self.edit_connector)
        self.undo_action = self._action("U&ndo", self.undo_last)
        self.add_action = self._action("Add c&ustom…", self.add_connector, "Any server, by the program it runs")
        self.remote_action = self._action(
            "Add &remote…", self.remote_requested.emit, "A server on another machine, reached through SSH"
        )
        self.duplicate_action = self._action("D&uplicate", self.duplicate_connector)
        self.remove_action = self._action("&Remove…", self.remove_connector)
        self.import_action = self._action(
            "&Import…",
            self.open_import,
            "Bring servers from Cursor, VS Code, Claude Code, Windsurf, Cline or LM Studio",
        )
        self.backups_action = self._action("&Backups…", self.open_backups, "Put back an earlier copy of Claude's file")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.undo_action)
        self.bar = ActionBar()
        self.bar.setAccessibleName("Connector actions")
        self.catalog_button = self.bar.add(self.catalog_action, primary=True)
        self.test_button = self.bar.add(self.test_action)
        self.edit_button = self.bar.add(self.edit_action)
        self.undo_button = self.bar.add(self.undo_action)
        self.add_button = self.bar.add(self.add_action)
        self.remote_button = self.bar.add(self.remote_action)
        self.duplicate_button = self.bar.add(self.duplicate_action)
        self.remove_button = self.bar.add(self.remove_action)
        self.import_button = self.bar.add(self.import_action)
        self.backups_button = self.bar.add(self.backups_action)

        self.legend_button = QToolButton()
        self.legend_button.setText("?")
        self.legend_button.setAccessibleName("What the lights mean")
        self.legend_button.setToolTip("What the lights mean")
        self.legend_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.legend = QMenu(self.legend_button)
        self.legend.setTitle("What the lights mean")
        for light, words in LEGEND_TEXT.items():
            entry = self.legend.addAction(status_dot(LIGHTS[light]), words)
            entry.setData(light)
        self.legend_button.setMenu(self.legend)

    def _build_banners(self) -> None:
        self.repair_banner, self.repair_text, row = _banner("repairBanner")
        self.repair_button = QPushButton("Repair…")
        self.repair_button.clicked.connect(self.open_repair)
        self.restore_instead = QPushButton("Restore an earlier copy…")
        self.restore_instead.clicked.connect(self.open_backups)
        row.addWidget(self.repair_button)
        row.addWidget(self.restore_instead)

        self.secrets_banner, self.secrets_text, row = _banner("secretsBanner")
        self.secure_button = QPushButton("Move to the keychain")
        self.secure_button.setToolTip("Moves them out of Claude's file and out of every backup Plugboard kept")
        self.secure_button.clicked.connect(self.secure_plaintext)
        row.addWidget(self.secure_button)

        self.restored_banner, self.restored_text, row = _banner("restoredBanner")
        self.restored_retry = QPushButton("Try again")
        self.restored_retry.setToolTip("Look at Claude's file again and put back what is missing")
        self.restored_retry.clicked.connect(lambda _checked=False: self.reload())
        self.restored_ok = QPushButton("OK")
        self.restored_ok.clicked.connect(self.restored_banner.hide)
        row.addWidget(self.restored_retry)
        row.addWidget(self.restored_ok)

        self.restart_banner, self.restart_text, row = _banner("restartBanner")
        self.restart_button = QPushButton("Restart Claude now")
        self.restart_button.clicked.connect(self.apply_now)
        row.addWidget(self.restart_button)

        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setOpenExternalLinks(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.note.hide()

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Connectors")
        self.table.setAccessibleDescription("Space switches the focused connector, Enter opens it, Tab leaves the list")
        self.table.setItemDelegateForColumn(NAME, NameDelegate(self.table))
        self.table.setItemDelegateForColumn(SWITCH, ToggleDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(row_height(self.table.fontMetrics()))
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move inside it
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SWITCH, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(STATUS, 28)
        header.resizeSection(SWITCH, ToggleDelegate.WIDTH)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda index: self.edit_connector() if index.column() != SWITCH else None)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())

    def _build_empty(self) -> None:
        self.empty = QWidget()
        self.empty.setObjectName("emptyState")
        title = QLabel("No connectors yet")
        title.setObjectName("emptyTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        text = QLabel(
            "Connectors let Claude use your files, GitHub, a database or a server of your own. "
            "Pick one from the catalog: Plugboard sets it up and checks that it works."
        )
        text.setWordWrap(True)
        self.empty_catalog_button = QPushButton("Browse the catalog")
        self.empty_catalog_button.setDefault(True)
        self.empty_catalog_button.clicked.connect(self.add_from_catalog)
        self.empty_import_button = QPushButton("Import from another app…")
        self.empty_import_button.clicked.connect(self.open_import)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.empty_catalog_button)
        buttons.addWidget(self.empty_import_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self.empty)
        column.addStretch(1)
        column.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(text)
        column.addLayout(buttons)
        column.addStretch(2)
        text.setAlignment(Qt.AlignmentFlag.AlignHCenter)

    @property
    def testing(self) -> str | None:
        """The connector being tested right now, if any."""
        return self._testing

    # -- showing ---------------------------------------------------------------------------------------------

    def reload(self, note: str | None = None, listed: list[Connector] | None = None) -> None:
        """Re-read connectors (or show `listed`, read on a worker just now); show `note`, or the standing notes."""
        try:
            connectors = self.connectors.all() if listed is None else listed
        except ConfigError as exc:
            self._broken(exc)
            if note:
                self.show_note(note)
            return
        except PlugboardError as exc:
            self._set_rows([])
            self.show_note(exc.plain)
            return
        self.config_problem = None
        self.repair = None
        self.repair_banner.hide()
        self._set_rows(connectors)
        self.plaintext = find_plaintext(connectors)
        self._update_secrets_banner()
        if self.applying:
            pass  # the restart's own note stays until its outcome (its writes are not news to the user)
        elif note:
            self.show_note(note)
        elif (first_run := claude_setup(self.connectors.discovery).advice("in Settings")) is not None:
            self.show_note(first_run)
        else:
            self.note.hide()
        self._update_banner()
        self._update_buttons()

    def _ordered(self, connectors: list[Connector]) -> list[Connector]:
        """`connectors` in the page's stable order: known names keep their places, a new one goes after the
        connector before it in the file (or first)."""
        by_name = {c.name: c for c in connectors}
        names = [c.name for c in connectors]
        order = [n for n in self.order if n in by_name]
        for number, name in enumerate(names):
            if name in order:
                continue
            before = next((names[j] for j in range(number - 1, -1, -1) if names[j] in order), None)
            order.insert(order.index(before) + 1 if before is not None else 0, name)
        self.order = order
        return [by_name[n] for n in order]

    def _set_rows(self, connectors: list[Connector]) -> None:
        selected = self.selected()
        ordered = self._ordered(connectors)
        healths = {h.name: h for h in self.health.track(ordered)}
        wanted = dict(self.switches)
        if self.switching is not None:
            wanted.setdefault(*self.switching)
        rows = [
            self.model.make_row(
                connector,
                self.pending.wanted(connector.name),
                describe_connector(connector, self.catalog),
                wanted.get(connector.name),
                healths.get(connector.name),
            )
            for connector in ordered
        ]
        if rows != self.model.rows():
            self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.table if rows or self.config_problem else self.empty)
        if selected is not None and self.selected() is None:
            number = self.model.find(selected.name)
            if number >= 0:
                self.table.selectRow(number)
        self._fit_columns()

    def _broken(self, exc: ConfigError) -> None:
        """Claude's file cannot be read: say what is wrong in words, offer the repair, disable what cannot work."""
        self.config_problem = exc
        self._set_rows([])
        self.secrets_banner.hide()
        self.repair = None
        problem = describe_problem(exc)
        try:
            raw = read_raw(exc.path)
            if raw is not None:
                self.repair = plan_repair(exc.path, raw)
                self._repair_raw = raw
        except (OSError, PlugboardError):
            self.repair = None
        if self.repair is not None:
            self.repair_text.setText(f"{problem} Plugboard can fix it.")
        else:
            self.repair_text.setText(f"{problem} Plugboard can't fix this by itself: put back an earlier copy.")
        self.repair_button.setVisible(self.repair is not None)
        self.restore_instead.setVisible(self.repair is None)
        self.repair_banner.show()
        self.note.hide()
        self._update_buttons()

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()

    def _enable(self, action: QAction, reason: str | None) -> None:
        """Enable `action`, or disable it with `reason` as its tooltip (what to do first)."""
        action.setEnabled(reason is None)
        tip = reason if reason is not None else str(action.data() or "")
        action.setToolTip(tip or action.text().replace("&", ""))

    def _update_buttons(self) -> None:
        broken = BROKEN_REASON if self.config_problem is not None else None
        connector = self.selected()
        needs_row = broken or (SELECT_REASON if connector is None else None)
        for action in (self.catalog_action, self.add_action, self.remote_action, self.import_action):
            self._enable(action, broken)
        for action in (self.edit_action, self.duplicate_action):
            self._enable(action, needs_row)
        busy = "Wait until the change being saved is done." if self.writing else None
        self._enable(self.remove_action, needs_row or busy)
        testing = None
        if connector is not None and connector.name in (self._testing, *self.tests):
            testing = f"“{connector.name}” is being tested."
        self._enable(self.test_action, needs_row or testing)
        step = self.history.peek()
        if step is None:
            self._enable(self.undo_action, "Nothing to undo.")
        else:
            self._enable(self.undo_action, broken or busy)
            if not (broken or busy):
                self.undo_action.setToolTip(f"Undo: {step.label} ({len(self.history)} step(s) to go back)")
        self.empty_catalog_button.setEnabled(broken is None)

    def _update_banner(self) -> None:
        count = len(self.pending) + self.unloaded
        if count != self._last_pending:
            self._last_pending = count
            self.pending_changed.emit(count)
        if not count:
            self.restart_banner.hide()
            return
        noun = "change" if count == 1 else "changes"
        self.restart_text.setText(f"Claude Desktop needs a restart to apply {count} {noun}.")
        self.restart_banner.show()

    def _update_secrets_banner(self) -> None:
        count = len(self.plaintext)
        if not count:
            self.secrets_banner.hide()
            return
        names = ", ".join(f"“{p.name}”" for p in self.plaintext[:3]) + (" …" if count > 3 else "")
        which = "connector keeps a token" if count == 1 else "connectors keep a token"
        self.secrets_text.setText(
            f"{count} {which} in plain text in Claude's file ({names}). Anyone who can read the file can use it."
        )
        self.secure_button.setEnabled(not self.writing)
        self.secrets_banner.show()

    def _relay_notice(self, notice: notices.Notice) -> None:
        """Called by `core.notices` on the emitting thread: hand the notice to the GUI thread."""
        # The page may be destroyed between a worker's emit and the unsubscription its destruction triggers: then
        # there is nobody left to tell (as `Worker._report`).
        with contextlib.suppress(RuntimeError):
            self.notice_heard.emit(notice)

    def _show_notice(self, notice: notices.Notice) -> None:
        """What the core did by itself, in plain words, with the next step as a button."""
        if notice.kind == "restored":
            names = _listed(notice.names)
            it = "it" if len(notice.names) == 1 else "them"
            text = f"Claude Desktop dropped {names} when it saved its settings; Plugboard put {it} back."
            if self.claude_running:
                # Claude Desktop runs with the copy that lacks them: the restart banner's button loads them.
                text += f" Restart Claude Desktop to load {it}."
                self.unloaded += 1
            self.restored_text.setText(text)
            self.restored_text.setToolTip("")
            self.restored_retry.hide()
            self.wrote.emit()  # the put-back is Plugboard's own write, not a change from elsewhere
            self._update_banner()
        elif notice.kind == "restore-failed":
            self.restored_text.setText(
                "Claude Desktop dropped connectors you switched on when it saved its settings, and Plugboard could "
                "not put them back yet."
            )
            self.restored_text.setToolTip(notice.text)
            self.restored_retry.show()
        else:
            return
        self.restored_banner.show()

    def _show_progress(self, waited: float) -> None:
        self.restart_text.setText(f"Waiting for Claude Desktop to quit… {waited:.0f} s")

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        room = self.table.viewport().width() - header.sectionSize(STATUS) - header.sectionSize(SWITCH)
        header.resizeSection(NAME, max(140, int(room * NAME_SHARE)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _selection_changed(self) -> None:
        self._update_buttons()
        connector = self.selected()
        if connector is None:
            return
        number = self.model.find(connector.name)
        health = self.model.row(number).health if number >= 0 else None  # None: a row made without one
        if health is not None and health.finding is not None and health.state is not HealthState.WORKING:
            self.card.show_finding(connector.name, health.finding, health.light)
        elif self.card.name != connector.name:
            self.card.hide()

    # -- switching -------------------------------------------------------------------------------------------

    def toggle(self, name: str, wanted: bool) -> None:
        """A switch click: shown at once, then written (or staged while Claude runs) on a worker, in click order."""
        self.switches.append((name, wanted))
        self.model.set_switching(name, wanted)  # no file read here: the worker reads the file after writing it
        self._next_switch()

    def _next_switch(self) -> None:
        if self.switching is not None:
            return
        if not self.switches:
            self._maybe_idle()
            return
        self.switching = name, wanted = self.switches.pop(0)
        connectors, claude = self.connectors, self.claude

        def work() -> Switched:
            # Ask afresh: writing under a running Claude (which may rewrite the file from its cache) loses the change.
            status = claude.status()
            if not status.running:
                if wanted:
                    connectors.enable(name)
                else:
                    connectors.disable(name)
            listed = None
            with contextlib.suppress(PlugboardError):  # the page's own reload then says what is wrong
                listed = connectors.all()
            return Switched(name, wanted, status, listed)

        self.workers.start("switch", work, on_done=self._switched, on_failed=self._switch_failed)

    def _switched(self, done: Switched) -> None:
        self.switching = None
        self._claude_status(done.claude)
        if done.staged:
            enabled = next((r.connector.enabled for r in self.model.rows() if r.connector.name == done.name), None)
            if enabled is not None:
                self.pending.toggle(done.name, enabled, done.wanted)
            self.reload(listed=done.listed)
        else:
            self._changed(undo.after_toggle(done.name, done.wanted))
            verb = "Switched on" if done.wanted else "Switched off"
            self.reload(f"{verb} “{done.name}”. Claude Desktop picks it up when it starts.", listed=done.listed)
        self._next_switch()

    def _switch_failed(self, message: str) -> None:
        self.switching = None
        self.reload(message)
        self._next_switch()

    def busy(self) -> bool:
        """A switch or a write of Claude's file is still running."""
        return self.switching is not None or bool(self.switches) or self.writing

    def _maybe_idle(self) -> None:
        if not self.busy():
            self.idle.emit()

    def apply_now(self) -> None:
        changes = dict(self.pending.items())
        self.restart_button.setEnabled(False)
        self.restart_text.setText("Restarting Claude Desktop…")
        self.applying = True
        noun = "change" if len(changes) == 1 else "changes"
        self.show_note(f"Restarting Claude Desktop to apply {len(changes)} {noun}… Plugboard reopens it for you.")
        self.workers.start(
            "apply",
            lambda: apply_changes(
                self.connectors,
                changes,
                self.claude,
                progress=self.claude_progress.emit,
                guard_seconds=self.guard_seconds,
                stop=self._stop_apply,
            ),
            on_done=lambda outcome: self._applied(outcome, changes),
            on_failed=self._apply_failed,
        )

    def _applied(self, outcome: ApplyOutcome, changes: dict[str, bool]) -> None:
        self.applying = False
        self.wrote.emit()
        self.restart_button.setEnabled(True)
        if outcome.ok:
            self.pending.clear()
            self.unloaded = 0
            self.history.push(undo.after_apply({n: w for n, w in changes.items() if n in outcome.written}))
        self.applied.emit()
        self.reload(outcome.message)

    def _apply_failed(self, message: str) -> None:
        self.applying = False
        self.wrote.emit()
        self.restart_button.setEnabled(True)
        self.pending.clear()  # whatever was written is on disk now; show the file as it is
        self.applied.emit()
        self.reload(message)

    # -- add / edit / duplicate / remove / undo --------------------------------------------------------------

    def selected(self) -> Connector | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isSelected(index):
            return None
        return self.model.row(index.row()).connector

    def select(self, name: str) -> bool:
        number = self.model.find(name)
        if number < 0:
            return False
        self.table.selectRow(number)
        self.table.setCurrentIndex(self.model.index(number, NAME))
        return True

    def open_connector(self, name: str) -> ConnectorDialog | None:
        """Select connector `name` and open it (the catalog's "already added — open it")."""
        return self.edit_connector() if self.select(name) else None

    def open_dialog(self, form: ConnectorForm | None, original: str | None) -> ConnectorDialog:
        """Open the form (non-modal, so the app stays usable); it saves on a worker, and the page reloads after."""
        before = next((r.connector for r in self.model.rows() if r.connector.name == original), None)
        dialog = ConnectorDialog(self.connectors, form, original=original, parent=self)

        def saved(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            name = dialog.form().name
            if not dialog.wrote:
                self.reload(f"No changes to “{name}”: nothing was written.")
                return
            self._changed(undo.after_edit(before, name) if before else undo.after_add(name))
            trimmed = f" {TRIMMED_NOTE}" if dialog.trimmed else ""
            self.reload(f"Saved “{name}”.{trimmed}{TESTING}" + self._restart_hint())
            self.test_connector(name)

        dialog.finished.connect(saved)
        dialog.open()
        return dialog

    def add_from_catalog(self) -> CatalogDialog:
        """The guided add for everyone: pick, fill, add; then the new connector is tested right away."""
        dialog = CatalogDialog(self.connectors, self)
        dialog.open_requested.connect(self.open_connector)  # "already added — Open it"

        def added(result: int) -> None:
            if result != QDialog.DialogCode.Accepted or dialog.added is None:
                return
            name = dialog.added
            self._changed(undo.after_add(name))
            self.reload(f"Added “{name}”.{TESTING}" + self._restart_hint())
            self.select(name)
            self.test_connector(name)

        dialog.finished.connect(added)
        dialog.open()
        return dialog

    def add_connector(self) -> ConnectorDialog:
        return self.open_dialog(None, None)

    def edit_connector(self) -> ConnectorDialog | None:
        connector = self.selected()
        return self.open_dialog(ConnectorForm.from_connector(connector), connector.name) if connector else None

    def duplicate_connector(self) -> ConnectorDialog | None:
        connector = self.selected()
        if connector is None:
            return None
        form = ConnectorForm.from_connector(connector)
        names = {r.connector.name for r in self.model.rows()}
        form.name, number = f"{connector.name} copy", 2
        while form.name in names:
            form.name, number = f"{connector.name} copy {number}", number + 1
        return self.open_dialog(form, None)

    def remove_connector(self) -> RemoveDialog | None:
        """Ask, then remove the selected connector (and, if ticked, its keychain secrets) on a worker."""
        connector = self.selected()
        if connector is None or self.writing:
            return None
        keys = secret_keys(connector)
        dialog = RemoveDialog(connector.name, keys, self)
        self.dialog = dialog
        live = [r.connector.name for r in self.model.rows() if r.connector.enabled]
        index = live.index(connector.name) if connector.name in live else len(live)
        connectors = self.connectors

        def answered(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            delete = bool(keys) and dialog.delete_secrets.isChecked()

            def work() -> dict[str, str]:
                from plugboard.core.secrets.keyring import delete_secret, get_secret

                # Read for undo (in memory only), remove, and only then delete: a remove that fails (the file
                # changed, the lock is held) leaves the connector and its secrets as they were.
                kept = {key: value for key in keys if delete and (value := get_secret(connector.name, key))}
                connectors.remove(connector.name)
                for key in keys if delete else ():
                    delete_secret(connector.name, key)
                return kept

            def removed(kept: dict[str, str]) -> None:
                self._changed(undo.after_remove(connector, index, kept))
                gone = f" and deleted {', '.join(secret_words(k) for k in kept)} from the keychain" if kept else ""
                self.reload(f"Removed “{connector.name}”{gone}. Undo brings it back." + self._restart_hint())

            self._write("remove", work, removed, self.reload)

        dialog.finished.connect(answered)
        dialog.open()
        return dialog

    def undo_last(self) -> None:
        step = self.history.peek()
        if step is None or self.writing or self.config_problem is not None:
            return
        connectors = self.connectors

        def undone(_result: object) -> None:
            # Taken off the history only once it is done: a failed undo leaves the step where it was, so the next
            # Undo tries the same change again, never an older one.
            if self.history.peek() is step:
                self.history.pop()
            self._changed(None)
            self.reload(f"Undone: {step.label}." + self._restart_hint())

        def failed(message: str) -> None:
            self.reload(f"Could not undo “{step.label}”: {message}")

        self._write("undo", lambda: step.apply(connectors), undone, failed)

    def _write(
        self, name: str, work: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None]
    ) -> None:
        """Run one write of Claude's file (it waits for the edit lock) on a worker; one at a time."""
        self.writing = True
        self._update_buttons()

        def done(result: object) -> None:
            self.writing = False
            on_done(result)
            self._update_buttons()
            self._maybe_idle()

        def failed(message: str) -> None:
            self.writing = False
            on_failed(message)
            self._update_buttons()
            self._maybe_idle()

        self.workers.start(name, work, on_done=done, on_failed=failed)

    def _changed(self, step: undo.Step | None) -> None:
        """Bookkeeping after this page wrote Claude's config."""
        self.wrote.emit()
        self.history.push(step)
        if self.claude_running:
            self.unloaded += 1

    def _restart_hint(self) -> str:
        return " Claude Desktop loads it when it restarts." if self.claude_running else ""

    def note_added(self, name: str) -> None:
        """A connector added elsewhere in the app (the Remote wizard, which tested it already)."""
        self._changed(undo.after_add(name))
        self.reload(f"Added “{name}”." + self._restart_hint())

    # -- testing ---------------------------------------------------------------------------------------------

    def test_selected(self) -> None:
        connector = self.selected()
        if connector is not None:
            self.test_connector(connector.name)

    def test_connector(self, name: str) -> None:
        """Test `name` (a real handshake, and its credential check) on a worker; one Test at a time."""
        if name == self._testing or name in self.tests:
            return
        self.tests.append(name)
        self.health.set_checking(name, True)
        self._update_buttons()
        self._next_test()

    def _next_test(self) -> None:
        if self._testing is not None or not self.tests:
            return
        name = self._testing = self.tests.pop(0)
        connectors, catalog, cancel = self.connectors, self.catalog, self._cancel_tests
        logs_dir = self.connectors.discovery.logs_dir

        def work() -> Verdict:
            connector = connectors.get(name)
            known = check_for(connector, catalog)
            check = CheckCall(known.tool, dict(known.arguments)) if known is not None else None
            report = examine_connector(connector, logs_dir=logs_dir, check=check, cancel=cancel)
            return verdict(report, secret_keys(connector))

        def failed(message: str) -> None:
            self._testing = None
            self.health.set_checking(name, False)
            self.show_note(f"Could not test “{name}”: {message}")
            self._update_buttons()
            self._next_test()

        self.workers.start("test", work, on_done=self._tested, on_failed=failed)

    def _tested(self, result: Verdict) -> None:
        self._testing = None
        self.health.record_test(result)
        health = self.health.health(result.name)
        light = health.light if health is not None else ("ok" if result.ok else "bad")
        self.card.show_finding(result.name, result.finding, light)
        if TESTING in (note := self.note.text()) and f"“{result.name}”" in note:
            self.note.setText(note.replace(TESTING, ""))
        self.tested.emit(result)
        self._update_buttons()
        self._next_test()

    # -- the steps a result offers ---------------------------------------------------------------------------

    def take_step(self, name: str, step: Step) -> None:
        if step.action is Action.TEST:
            self.test_connector(name)
        elif step.action is Action.SET_SECRET:
            self.set_secret(name, step.target)
        elif step.action is Action.OPEN_LOG:
            self.log_requested.emit(name)
        elif step.action is Action.INSTALL:
            self.open_link(step.target)
        elif step.action is Action.USE_LAUNCHER:
            self.use_launcher(name)
        elif step.action is Action.EDIT:
            self.open_connector(name)
        elif step.action is Action.OPEN_REMOTE:
            self.remote_page_requested.emit()
        elif step.action is Action.SIGN_IN:
            self.sign_in(name)
        elif step.action is Action.CONNECT_REMOTE:
            self.connect_through_plugboard(name)

    def sign_in(self, name: str) -> None:
        """Sign `name` in to its server in the system browser (as `plugboard login NAME`) on a worker, then let the
        health model know and test it again. The worker waits for the person (a few minutes at most)."""
        if name in self.signing:
            return
        number = self.model.find(name)
        if number < 0 or signs_in(self.model.row(number).connector) is None:
            return
        self.signing.add(name)
        self.show_note(f"Opening your browser to sign in for “{name}”… Finish signing in there.")
        connectors, address = self.connectors, self.sign_in_address

        def work() -> tuple[SignedIn, StoredSignIn | None]:
            from plugboard.core.bridge.oauth.session import sign_in, stored_sign_in

            connector = connectors.get(name)
            entry = signs_in(connector)
            if entry is None:
                raise PlugboardError(f"“{name}” no longer signs in: it was changed meanwhile.")
            signed = sign_in(name, connector.entry, show_url=lambda url: address.emit(name, url))
            return signed, stored_sign_in(entry)  # read here: the keyring is never asked on the GUI thread

        def done(result: tuple[SignedIn, StoredSignIn | None]) -> None:
            signed, stored = result
            self.signing.discard(name)
            self.health.sign_in_seen(name, stored)
            self.show_note(f"Signed in to {signed.host} for “{name}”.{TESTING}")
            self.signed_in.emit(name)
            self.test_connector(name)

        def failed(message: str) -> None:
            self.signing.discard(name)
            self.health.recheck_sign_in(name)
            self.show_note(f"Could not sign in “{name}”: {message}")

        self.workers.start("sign-in", work, on_done=done, on_failed=failed)

    def _show_sign_in_address(self, name: str, url: str) -> None:
        if name in self.signing:
            link = html.escape(url, quote=True)
            self.show_note(
                f"Opening your browser to sign in for “{html.escape(name)}”… Finish signing in there. If no browser "
                f'opens, <a href="{link}">open the sign-in page</a>.'
            )

    def open_link(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))

    def set_secret(self, name: str, key: str) -> SecretDialog:
        """Ask for one secret; store it (trimmed) on a worker, then test the connector again."""
        dialog = SecretDialog(name, key, self)
        self.dialog = dialog

        def answered(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            value, trimmed = trim_secret(dialog.value.text())

            def work() -> None:
                from plugboard.core.secrets.keyring import set_secret

                set_secret(name, key, value)

            def stored(_result: object) -> None:
                note = f" {TRIMMED_NOTE}" if trimmed else ""
                self.show_note(f"Saved {secret_words(key)} for “{name}” in the keychain.{note}{TESTING}")
                self.test_connector(name)

            self.workers.start("secret", work, on_done=stored)

        dialog.finished.connect(answered)
        dialog.open()
        return dialog

    def use_launcher(self, name: str) -> LauncherDialog | None:
        """The explicit, explained choice: let Plugboard start a connector Claude starts directly."""
        number = self.model.find(name)
        if number < 0:
            return None
        before = self.model.row(number).connector
        parsed = before.parsed
        if not isinstance(parsed, BareEntry):
            return None
        dialog = LauncherDialog(name, self)
        self.dialog = dialog
        connectors = self.connectors

        def answered(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            extra = {k: v for k, v in before.entry.items() if k not in ("command", "args", "env")}

            def work() -> None:
                from dataclasses import replace

                launcher = LauncherEntry.new(name, parsed.command, list(parsed.args), env=parsed.env)
                connectors.replace(name, replace(launcher, extra=extra).to_json())

            def done(_result: object) -> None:
                self._changed(undo.after_edit(before, name))
                self.reload(f"Plugboard now starts “{name}”.{TESTING}" + self._restart_hint())
                self.test_connector(name)

            self._write("launcher", work, done, self.reload)

        dialog.finished.connect(answered)
        dialog.open()
        return dialog

    def connect_through_plugboard(self, name: str) -> None:
        """One click on a `{"url": …}` entry Claude cannot start: it becomes a `plugboard proxy` connector (its token
        to the keychain, a backup kept: `clients.remote_entries.connect`) on a worker, then it is tested."""
        number = self.model.find(name)
        if number < 0 or self.model.row(number).connector.address is None or self.writing:
            return
        connectors = self.connectors
        self.show_note(f"Connecting “{name}” through Plugboard…")

        def done(outcome: ConnectOutcome) -> None:
            # No undo step: undoing would write the token back into the file (as after moving secrets).
            self.history.forget(name)
            self._changed(None)
            parts = [f"“{name}” now connects through Plugboard"]
            if outcome.moved:
                parts.append("its token is in the keychain")
            text = ", ".join(parts) + "."
            if outcome.missing:
                text += " Set " + ", ".join(secret_words(k) for k in outcome.missing) + " before it can connect."
            self.reload(text + TESTING + self._restart_hint())
            self.test_connector(name)

        def failed(message: str) -> None:
            self.reload(f"Could not connect “{name}” through Plugboard: {message}")

        self._write("connect-remote", lambda: connect(connectors, name), done, failed)

    # -- repairs, secrets, import, backups ---------------------------------------------------------------------

    def open_repair(self) -> RepairDialog | None:
        """Preview the repair of Claude's file; apply it (on a worker) only after consent."""
        problem, plan, raw = self.config_problem, self.repair, self._repair_raw
        if problem is None or plan is None:
            return None
        dialog = RepairDialog(describe_problem(problem), plan.actions, self)
        self.dialog = dialog
        connectors = self.connectors

        def answered(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            from plugboard.core.config import claude_file

            def work() -> None:
                claude_file.write_bytes(
                    connectors.path, plan.data, connectors.dirs, reason="before-repair", expected=raw
                )

            def done(_result: object) -> None:
                self._changed(None)
                self.reload(
                    "Repaired Claude's settings file. The copy from before is in Backups." + self._restart_hint()
                )

            self._write("repair", work, done, self.reload)

        dialog.finished.connect(answered)
        dialog.open()
        return dialog

    def secure_plaintext(self) -> None:
        """One click: every plaintext token to the keychain, and out of every backup (on a worker)."""
        names = [p.name for p in self.plaintext]
        if not names or self.writing:
            return
        connectors = self.connectors
        self.secure_button.setEnabled(False)

        def done(outcome: SecureAllOutcome) -> None:
            for name in outcome.moved:
                self.history.forget(name)  # undoing an older change must not bring the plaintext back
            self._changed(None)
            moved = sum(len(k) for k in outcome.moved.values())
            parts = [f"Moved {moved} secret{'s' if moved != 1 else ''} to the keychain"]
            if outcome.scrubbed:
                parts.append(
                    f"and removed them from {outcome.scrubbed} older backup{'s' if outcome.scrubbed != 1 else ''}"
                )
            text = " ".join(parts) + "."
            if outcome.failed:
                text += " Not moved: " + "; ".join(f"“{n}”: {why}" for n, why in outcome.failed.items()) + "."
            self.reload(text + self._restart_hint())
            for name in outcome.moved:
                if any(r.connector.name == name and r.connector.enabled for r in self.model.rows()):
                    self.test_connector(name)

        self._write("secure", lambda: secure_all(connectors, names), done, self.reload)

    def open_import(self) -> ImportDialog:
        dialog = ImportDialog(self.connectors, self)

        def imported(result: int) -> None:
            done = dialog.outcome
            if result != QDialog.DialogCode.Accepted or done is None:
                return
            brought = [*done.added, *done.parked]
            self._changed(undo.after_import(brought))
            names = ", ".join(f"“{n}”" for n in brought) or "nothing"
            later = [f"{secret_words(k)} for “{c}”" for c, k in done.missing_secrets]
            hint = f" Still to set: {'; '.join(later)}." if later else ""
            testing = " Testing them…" if done.added else ""
            self.reload(f"Imported {names}.{hint}{testing}" + self._restart_hint())
            for name in done.added:
                self.test_connector(name)

        dialog.finished.connect(imported)
        dialog.open()
        return dialog

    def open_backups(self) -> BackupsDialog:
        names = [r.connector.name for r in self.model.rows()]
        dialog = BackupsDialog(self.connectors, self, names=names)

        def restored(result: int) -> None:
            done: Restored | None = dialog.restored
            if result == QDialog.DialogCode.Accepted and done is not None:
                self._changed(undo.after_restore(done.before, done.after, done.label))
                self.reload(f"Put back the copy “{done.label}”." + self._restart_hint())

        dialog.finished.connect(restored)
        dialog.open()
        return dialog

    # -- health inputs from elsewhere ----------------------------------------------------------------------------

    def tunnel_changed(self, profile: str, state: TunnelState) -> None:
        """A live tunnel's state (from the Remote page's `TunnelSet`): remote connectors using it say so."""
        self.health.tunnel_changed(profile, state)

    # -- Claude Desktop's state --------------------------------------------------------------------------------

    def poll_claude(self) -> None:
        """Look whether Claude runs (on a worker thread)."""
        self.poll_timer.setInterval(CLAUDE_POLL_PENDING_MS if len(self.pending) else CLAUDE_POLL_MS)
        if self.workers.busy("apply", "claude-status"):
            return  # an apply (it restarts Claude) or the previous poll is still busy; a Test or a sign-in is not
        self.workers.start("claude-status", self.claude.status, on_done=self._claude_status)

    def _claude_status(self, status: ClaudeStatus) -> None:
        was = self.claude_running
        self.claude_running = status.running
        self.claude_known = True
        self.claude_status_changed.emit(bool(status.running))
        if was and not status.running and len(self.pending):
            # Claude quit by itself: nothing to restart any more, write the staged switches now.
            changes = dict(self.pending.items())
            self.pending.clear()
            for name, wanted in changes.items():
                self.toggle(name, wanted)
        self._update_banner()

    def shutdown(self) -> None:
        """The page goes: stop listening and polling; give running workers a bounded time to finish."""
        self._stop_notices()
        self.poll_timer.stop()
        self.tests.clear()
        self._cancel_tests.set()
        self._stop_apply.set()  # the wipe guard ends now; a drop it did not see is put back at the next start
        self.model.unwatch()
        self.health.close()
        self.workers.join()

    # -- keyboard and the row menu ---------------------------------------------------------------------------------

    def _row_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = self.row_menu()
        menu.popup(self.table.viewport().mapToGlobal(point))

    def row_menu(self) -> QMenu:
        """The selected row's actions (right click, or the menu key)."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for action in (self.test_action, self.edit_action, self.duplicate_action, self.remove_action):
            menu.addAction(action)
        connector = self.selected()
        if connector is not None:
            log = menu.addAction("Open the log")
            log.triggered.connect(lambda _checked=False, n=connector.name: self.log_requested.emit(n))
            if signs_in(connector) is not None:
                sign = menu.addAction("Sign in…")
                sign.setToolTip("Sign in to its server in your browser")
                sign.setEnabled(connector.name not in self.signing)
                sign.triggered.connect(lambda _checked=False, n=connector.name: self.sign_in(n))
            if isinstance(connector.parsed, BareEntry):
                start = menu.addAction("Let Plugboard start it…")
                start.triggered.connect(lambda _checked=False, n=connector.name: self.use_launcher(n))
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            index = self.table.currentIndex()
            key = event.key()
            if key == Qt.Key.Key_Space and index.isValid():
                self.model.request_toggle(index.row())
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
                self.table.selectRow(index.row())
                self.edit_connector()
                return True
            if key == Qt.Key.Key_Delete and index.isValid():
                self.remove_connector()
                return True
            if key == Qt.Key.Key_Menu and index.isValid():
                self.row_menu().popup(self.table.viewport().mapToGlobal(self.table.visualRect(index).center()))
                return True
        return super().eventFilter(watched, event)
