"""The main window, titled "Plugboard": a header (is Claude Desktop running, do changes wait for its restart), the
page list, the pages, the tray icon, and app-wide behaviour.

- Start-up paints the connectors first and the rest after. Before the first paint the window builds its shell
  (header, page list) and the Connectors page, so the first frame already lists the connectors; none of the other
  pages' imports (the Remote page alone pulls in paramiko, ~0.3 s), no log pruning, no relink check (the
  Connectors page's look at Claude, which the header shows, runs on a worker). Once the window has painted, the
  other pages' modules are imported on a worker thread and each page is built in its own event-loop turn
  (`started` is then True). A page asked for earlier (a test, Ctrl+3 before the start-up is done) is built on the
  spot. Figures in tests/benchmarks/README.md (`bench_gui.py`).
- Fits the screen: the window opens inside the screen's available geometry (the default size is clamped, and the
  window centred), the page list shrinks to its icons when the window is narrow, and the pages fold their
  toolbars into a "More" menu (`gui/toolbar.py`), so a 1366×768 laptop at 200 % (683×384 logical pixels) shows
  every control.
- Keyboard: Ctrl+1…4 (⌘1…4 on macOS: Qt maps Ctrl to ⌘ there) open the pages; Tab moves between the header, the
  page list and the page's controls, and leaves a table instead of walking its cells (`setTabKeyNavigation(False)`
  on every item view); the focus ring is the theme's (`gui/theme.py`).
- When Claude's config changes on disk from elsewhere, the view reloads and says so, and the relink banner looks
  again (QFileSystemWatcher on the file
  and its folder: an atomic rename replaces the file, and the watcher forgets a replaced file).
- Closing the window keeps Plugboard in the tray when that setting is on and a tray exists; Quit (menu, tray,
  Ctrl+Q) really quits, giving every worker still running (the window's, the banner's, each page's) one shared
  deadline, `CLOSE_DEADLINE_S`, not a bound each. A switch still being saved (its worker may wait for
  the edit lock) is finished first: Quit says so and quits when the page is idle, without blocking the window.
- The tray shows the overall state and quick switches, and notifies when a connector starts failing or a tunnel
  drops and recovers (the Remote page's notices).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QFileSystemWatcher, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.settings import Settings
from plugboard.gui.header import Header
from plugboard.gui.icons import app_icon
from plugboard.gui.relink_banner import RelinkBanner
from plugboard.gui.theme import Theme, icon
from plugboard.gui.toolbar import FoldingBar
from plugboard.gui.worker import Workers, closing_by, remaining

if TYPE_CHECKING:
    from plugboard.core.claude.app import ClaudeApp
    from plugboard.core.claude.discovery import Discovery
    from plugboard.core.config.connectors import Connectors
    from plugboard.gui.connectors_model import Row
    from plugboard.gui.connectors_page import ConnectorsPage
    from plugboard.gui.logs_page import LogsPage
    from plugboard.gui.remote_page import RemotePage
    from plugboard.gui.settings_page import SettingsPage
    from plugboard.gui.tray import Tray

# The window's size when it fits: wide enough for the Connectors table's columns side by side.
DEFAULT_SIZE = QSize(1080, 600)
# The width every page is laid out for (a 1366×768 screen at 200 % is 683 logical pixels wide): below this plus
# the page list's titles, the page list shows its icons only.
PAGE_WIDTH = 640
# Room left for the window manager's title bar and borders when the default size is clamped to the screen (the
# frame is unknown until the window is shown; 48 px covers GNOME, KDE, Windows 11 and macOS title bars).
FRAME_ALLOWANCE = 48
# Closing waits at most this long, in all, for every worker still running (the window's start-up import, the relink
# banner's check, each page's saves, looks and tunnels): one deadline shared by all of them, so the bounds never add
# up. 3 s lets a save that already has the edit lock finish; a worker that is stuck is left behind (daemon threads).
CLOSE_DEADLINE_S = 3.0


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    icon: str
    description: str


PAGES = (
    PageSpec("connectors", "Connectors", "connectors", "Switch connectors on and off, add, edit and test them"),
    PageSpec("logs", "Logs", "logs", "Live logs of every connector"),
    PageSpec("remote", "Remote", "remote", "SSH tunnels to your servers"),
    PageSpec("settings", "Settings", "settings", "Claude's config file, theme, tray and login"),
)
# Modules the pages after the first need; imported on a worker once the window has painted.
LATER_MODULES = ("plugboard.gui.logs_page", "plugboard.gui.remote_page", "plugboard.gui.settings_page")


class PageList(QListWidget):
    """The page list: icons and titles, or icons only when the window is too narrow for both (the window
    decides, from its own width: see `MainWindow.resizeEvent`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nav")
        self.setAccessibleName("Pages")
        self.setAccessibleDescription("Ctrl+1 to Ctrl+4 open the pages")
        self.setIconSize(QSize(20, 20))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.titles: list[str] = []
        self.compact = True
        self.set_compact(False)

    def add_page(self, spec: PageSpec, number: int) -> None:
        item = QListWidgetItem(icon(spec.icon), "" if self.compact else spec.title)
        item.setToolTip(f"{spec.title}: {spec.description} (Ctrl+{number})")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, spec.title)
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, spec.description)
        self.addItem(item)
        self.titles.append(spec.title)
        self.setFixedWidth(self.compact_width() if self.compact else self.full_width())

    def full_width(self) -> int:
        widest = max((self.fontMetrics().horizontalAdvance(t) for t in self.titles), default=0)
        return self.iconSize().width() + widest + 2 * self.frameWidth() + 48

    def compact_width(self) -> int:
        return self.iconSize().width() + 2 * self.frameWidth() + 28

    def set_compact(self, compact: bool) -> None:
        if compact == self.compact:
            return
        self.compact = compact
        for i, title in enumerate(self.titles):
            self.item(i).setText("" if compact else title)
        self.setFixedWidth(self.compact_width() if compact else self.full_width())


class _FirstPaint(QObject):
    """Calls `then` once, in the event-loop turn after the window's first paint."""

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, self, then)
        return False


class MainWindow(QMainWindow):
    def __init__(self, config_override: str | None = None, claude: ClaudeApp | Any | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Plugboard")
        self.setWindowIcon(app_icon("ok"))
        self.setAccessibleName("Plugboard")
        self.settings = Settings.load()
        app = QApplication.instance()
        assert isinstance(app, QApplication), "the main window needs a QApplication"
        self.theme = Theme(app, self.settings.theme, self)
        self.theme.changed.connect(self._retint)
        self.config_override = config_override
        self.chosen = config_override or self.settings.claude_config
        self._claude = claude
        self._connectors: Connectors | None = None
        self.quitting = False
        self._closed = False
        self.started = False
        """The start-up after the first paint is done: every page is built."""
        self._quit_when_idle = False
        self._lights: dict[str, str] = {}
        self._pages: dict[str, QWidget] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        self.workers = Workers(self)
        self.tray: Tray | None = None
        self.watcher: QFileSystemWatcher | None = None
        self._last_seen: bytes | None = None

        self.page_actions: list[QAction] = []
        for number, spec in enumerate(PAGES, start=1):
            action = QAction(icon(spec.icon), spec.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setToolTip(spec.description)
            action.triggered.connect(lambda _checked=False, title=spec.title: self.show_page(title))
            self.addAction(action)  # the shortcut works whether or not a menu shows the action
            self.page_actions.append(action)
        self.quit_action = QAction("&Quit Plugboard", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.quit)
        self.addAction(self.quit_action)
        menu: QMenu | None = None
        if sys.platform == "darwin":  # the global menu bar; no room is taken in the window
            self.menuBar().addMenu("&File").addAction(self.quit_action)
            self.menuBar().addMenu("&Go").addActions(self.page_actions)
        else:  # the header's menu button: a menu bar would cost a row a 200 % laptop screen does not have
            menu = QMenu(self)
            menu.addActions(self.page_actions)
            menu.addSeparator()
            menu.addAction(self.quit_action)
        self.header = Header(menu, self)
        self.header.restart_requested.connect(self._restart_claude)

        # Connectors that start another copy of Plugboard: a banner above every page (gui/relink_banner.py); it
        # looks on a worker, once the window has painted. Made before the page list, so Tab meets it first
        # (the focus chain follows creation: header, banner, page list, then each page as it is built).
        self.relink_banner = RelinkBanner(lambda: self.connectors, self)
        self.relink_banner.relinked.connect(lambda _note: self._own_write())
        self.relink_banner.relinked.connect(lambda note: self.page.reload(note))  # noqa: PLW0108 - the page is built later

        self.nav = PageList()
        self.stack = QStackedWidget()
        for number, spec in enumerate(PAGES, start=1):
            self.nav.add_page(spec, number)
            placeholder = QLabel("Opening…")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            placeholder.setProperty("role", "muted")
            self.stack.addWidget(placeholder)
        self.nav.currentRowChanged.connect(self._page_changed)
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(4, 6, 6, 6)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.banners = QVBoxLayout()
        """Banners above every page (a window-wide notice goes here)."""
        self.banners.setContentsMargins(0, 0, 0, 0)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        column.addLayout(self.banners)
        column.addWidget(body, 1)
        self.setCentralWidget(central)
        self.banners.addWidget(self.relink_banner)
        self.nav.setCurrentRow(0)
        self.nav.setFocus()  # the first Tab stop a keyboard user meets is where the pages are
        self.fit_to_screen()
        self._first_paint = _FirstPaint(self, self._after_first_paint)

    # -- geometry ------------------------------------------------------------------------------------------------

    def fit_to_screen(self, wanted: QSize = DEFAULT_SIZE) -> None:
        """Size the window to `wanted`, clamped to the screen's available area (less a title bar), centred."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(wanted)
            return
        area = screen.availableGeometry()
        width = min(wanted.width(), area.width())
        height = min(wanted.height(), area.height() - FRAME_ALLOWANCE)
        minimum = self.minimumSizeHint()
        size = QSize(max(width, min(minimum.width(), area.width())), max(height, min(minimum.height(), area.height())))
        self.resize(size)
        frame = QRect(0, 0, size.width(), size.height() + FRAME_ALLOWANCE)
        frame.moveCenter(area.center())
        self.move(max(area.left(), frame.left()), max(area.top(), frame.top()))

    def _retint(self, _dark: bool) -> None:
        """Icons are drawn in the text colour: draw them again in the new one."""
        for i, spec in enumerate(PAGES):
            self.nav.item(i).setIcon(icon(spec.icon))
        for number, spec in enumerate(PAGES):
            self.page_actions[number].setIcon(icon(spec.icon))
        if self.header.menu_button is not None:
            self.header.menu_button.setIcon(icon("menu"))
        for bar in self.findChildren(FoldingBar):
            bar.more.setIcon(icon("more"))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Titles in the page list only while the page keeps the width it is designed for.
        self.nav.set_compact(event.size().width() < self.nav.full_width() + PAGE_WIDTH)

    # -- pages, built when first needed -------------------------------------------------------------------------

    def _after_first_paint(self) -> None:
        """The start-up work the first paint did not wait for: the other pages (imported off-thread), the relink
        check, the old logs' pruning."""
        if self._closed:
            return
        # The Connectors page is built already (the page list's first row, chosen in __init__).
        self.relink_banner.check()
        from plugboard.core.logs.connector_log import prune_old_logs

        days = self.settings.log_retention_days

        def warm() -> None:
            prune_old_logs(days)  # the "keep logs for" setting, applied at each start
            import importlib

            for module in LATER_MODULES:
                importlib.import_module(module)

        self.workers.start("start-up", warm, on_done=lambda _r: self._build_later(["remote", "logs", "settings"]))

    def _build_later(self, keys: list[str]) -> None:
        """Build one page per event-loop turn, so the window keeps answering between them."""
        if self._closed:
            return
        if not keys:
            self.started = True
            return
        self._get(keys[0])
        QTimer.singleShot(0, self, lambda: self._build_later(keys[1:]))

    def _get(self, key: str) -> Any:
        page = self._pages.get(key)
        if page is None:
            page = {
                "connectors": self._build_connectors,
                "logs": self._build_logs,
                "remote": self._build_remote,
                "settings": self._build_settings,
            }[key]()
            self._install(key, page)
        return page

    def _install(self, key: str, page: QWidget) -> None:
        self._pages[key] = page
        index = [spec.key for spec in PAGES].index(key)
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        # A page that needs more room than the window has scrolls instead of widening the window past the screen
        # (a stack is as wide as its widest page): every control stays reachable at any scale.
        scroll = QScrollArea()
        scroll.setObjectName(f"{key}Scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(page)
        self._scrolls[key] = scroll
        self.stack.insertWidget(index, scroll)
        if placeholder is not None:
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
        self.stack.setCurrentIndex(current)
        # Tab leaves a table or list for the next control instead of walking its cells (arrows move inside).
        for view in page.findChildren(QAbstractItemView):
            view.setTabKeyNavigation(False)

    @property
    def page(self) -> ConnectorsPage:
        page: ConnectorsPage = self._get("connectors")
        return page

    @property
    def logs_page(self) -> LogsPage:
        page: LogsPage = self._get("logs")
        return page

    @property
    def remote_page(self) -> RemotePage:
        page: RemotePage = self._get("remote")
        return page

    @property
    def settings_page(self) -> SettingsPage:
        page: SettingsPage = self._get("settings")
        return page

    @property
    def connectors(self) -> Connectors:
        if self._connectors is None:
            from plugboard.core.claude.discovery import discover
            from plugboard.core.config.connectors import Connectors

            self._connectors = Connectors(discover(self.chosen))
        return self._connectors

    def claude(self) -> Any:
        if self._claude is None:
            from plugboard.core.claude.app import ClaudeApp

            self._claude = ClaudeApp(config_override=self.chosen)
        return self._claude

    def _build_connectors(self) -> ConnectorsPage:
        from plugboard.gui.connectors_page import ConnectorsPage

        page = ConnectorsPage(self.connectors, self.claude(), self)
        page.wrote.connect(self._own_write)
        page.rows_changed.connect(self._rows_changed)
        page.pending_changed.connect(self.header.set_pending)
        # The page's poll is the one look at Claude Desktop: the header shows its answer, never a scan of its own.
        page.claude_status_changed.connect(self.header.set_running)
        page.applied.connect(self._applied)
        page.log_requested.connect(self.show_log)
        page.remote_page_requested.connect(lambda: self.show_page("Remote"))
        page.claude_progress.connect(
            lambda waited: self.header.set_restarting(f"Waiting for Claude Desktop to quit… {waited:.0f} s")
        )
        page.remote_requested.connect(self._open_remote_wizard)
        self._start_tray(page)
        self._rows_changed([page.model.row(i) for i in range(page.model.rowCount())])
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed_on_disk)
        self.watcher.directoryChanged.connect(self._changed_on_disk)
        self._last_seen = self._read()
        self._watch()
        return page

    def _open_remote_wizard(self) -> None:
        self.remote_page.open_wizard()  # the Remote page is built on first use

    def _build_logs(self) -> LogsPage:
        from plugboard.gui.logs_page import LogsPage

        return LogsPage(self.connectors, self)

    def _build_remote(self) -> RemotePage:
        from plugboard.gui.remote_page import RemotePage

        page = RemotePage(self.connectors, self)
        page.connector_added.connect(self._remote_added)
        # The app's own tunnels' states reach the connectors that go through them (their health).
        page.state_shown.connect(self.page.tunnel_changed)
        if self.tray is not None:
            page.notice.connect(self.tray.notify)
        return page

    def _build_settings(self) -> SettingsPage:
        from plugboard.gui.settings_page import SettingsPage

        page = SettingsPage(self.settings, self.connectors.discovery, self)
        page.config_chosen.connect(self.use_config)
        page.theme_chosen.connect(self.theme.set_choice)
        return page

    def _page_changed(self, row: int) -> None:
        key = PAGES[row].key
        page = self._get(key)
        self.stack.setCurrentWidget(self._scrolls[key])
        # Logs are followed only while their page is shown: one tail thread per connector is not free.
        logs = self._pages.get("logs")
        if logs is None:
            return
        if page is logs:
            self.logs_page.refresh_names()
        else:
            self.logs_page.stop_following()

    def show_page(self, title: str) -> None:
        self.nav.setCurrentRow(self.nav.titles.index(title))

    # -- the header ----------------------------------------------------------------------------------------------

    def _restart_claude(self) -> None:
        self.header.set_restarting("Restarting Claude Desktop…")
        self.page.apply_now()

    def _applied(self) -> None:
        self.header.set_restarting(None)
        self.page.poll_claude()

    def show_log(self, name: str) -> None:
        """Open the Logs page on one connector's log (a result card's "Open the log")."""
        self.show_page("Logs")
        self.logs_page.show_log(name)

    # -- Claude's config file ------------------------------------------------------------------------------------

    def use_config(self, discovery: Discovery) -> None:
        """Switch to another Claude config file (chosen in Settings, which found it: `discovery`). A file named
        when Plugboard was started (`--config`) stays in use."""
        from plugboard.core.config.connectors import Connectors

        if self.config_override is not None:
            discovery = self.connectors.discovery
        self.chosen = self.config_override or self.settings.claude_config
        self._connectors = Connectors(discovery)
        for page in self._pages.values():
            if hasattr(page, "connectors"):
                page.connectors = self._connectors
        if self.watcher is not None and (self.watcher.files() or self.watcher.directories()):
            self.watcher.removePaths(self.watcher.files() + self.watcher.directories())
        self._own_write()
        self.page.reload(f"Now using {self.connectors.path}.")
        self.relink_banner.check()

    def _read(self) -> bytes | None:
        """Claude's file as it is now, read the config engine's bounded way (a named pipe or a device in its place
        is refused, never waited on)."""
        from plugboard.core.config.claude_file import read_raw
        from plugboard.core.errors import PlugboardError

        try:
            return read_raw(self.connectors.path)
        except (OSError, PlugboardError):
            return None

    def _watch(self) -> None:
        if self.watcher is None:
            return
        path = self.connectors.path
        wanted = [str(p) for p in (path, path.parent) if p.exists()]
        current = self.watcher.files() + self.watcher.directories()
        missing = [p for p in wanted if p not in current]
        if missing:
            self.watcher.addPaths(missing)

    def _remote_added(self, name: str) -> None:
        """The Remote wizard wrote a connector: count it as the page's own change (undo, restart banner)."""
        self.page.note_added(name)
        self.show_page("Connectors")

    def _own_write(self) -> None:
        self._last_seen = self._read()
        self._watch()

    def _changed_on_disk(self, _path: str) -> None:
        self._watch()
        now = self._read()
        if now == self._last_seen:
            return  # a folder event that did not change the file (a backup, a temp file)
        self._last_seen = now
        self.page.reload("The config changed on disk and was reloaded.")
        self.relink_banner.check()  # what it said at start may not be true of the file as it is now

    # -- tray, notifications -------------------------------------------------------------------------------------

    def _start_tray(self, page: ConnectorsPage) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        from plugboard.gui.tray import Tray

        self.tray = Tray(self.show_window, page.toggle, self.quit, self)
        self.tray.show()

    def _rows_changed(self, rows: list[Row]) -> None:
        from plugboard.gui.tray import overall_state

        state, summary = overall_state(rows)
        self.setWindowIcon(app_icon(state if state != "idle" else "ok"))
        failing_now = [r for r in rows if r.light == "bad" and self._lights.get(r.connector.name) not in (None, "bad")]
        recovered = [r for r in rows if r.light == "ok" and self._lights.get(r.connector.name) == "bad"]
        self._lights = {r.connector.name: r.light for r in rows}
        if self.tray is None:
            return
        self.tray.update_rows(rows, state, summary)
        for row in failing_now:
            self.tray.notify(f"{row.connector.name} is failing", row.status, bad=True)
        for row in recovered:
            self.tray.notify(f"{row.connector.name} is running again", row.status)

    def show_window(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    # -- closing -------------------------------------------------------------------------------------------------

    def quit(self) -> None:
        if "connectors" in self._pages and self.page.busy():
            self.page.show_note("Saving your last change… Plugboard quits as soon as it is saved.")
            if not self._quit_when_idle:
                self._quit_when_idle = True
                self.page.idle.connect(self._quit_now_idle, Qt.ConnectionType.SingleShotConnection)
            return
        if not self.confirm_pending():
            return
        self.quitting = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _quit_now_idle(self) -> None:
        self._quit_when_idle = False
        self.quit()

    def confirm_pending(self) -> bool:
        """Quitting with switches still waiting for a Claude restart: apply them (then quit), discard, or stay."""
        if "connectors" not in self._pages:
            return True
        count = len(self.page.pending)
        if not count:
            return True
        noun = "change" if count == 1 else "changes"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Plugboard")
        box.setText(f"{count} {noun} to your connectors still wait for Claude Desktop to restart.")
        box.setInformativeText("Apply them now (Claude Desktop restarts), or discard them?")
        apply = box.addButton("Apply and restart Claude", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(apply)
        box.exec()
        if box.clickedButton() is stay:
            return False
        if box.clickedButton() is apply:
            # Quit only once the restart is done: leaving mid-way could leave Claude quit and the file unwritten.
            self.page.applied.connect(self.quit, Qt.ConnectionType.SingleShotConnection)
            self.page.apply_now()
            return False
        self.page.pending.clear()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.quitting and self.settings.close_to_tray and self.tray is not None and self.tray.isVisible():
            self.hide()
            event.ignore()
            self.tray.notify("Plugboard is still running", "It keeps watching your connectors from the tray.")
            return
        if "connectors" in self._pages and self.page.busy():
            event.ignore()  # a change is still being saved: quit() waits for it without blocking, then closes
            self.quit()
            return
        self._closed = True
        deadline = time.monotonic() + CLOSE_DEADLINE_S
        with closing_by(deadline):  # every join below, the pages' own included, ends by the one deadline
            self.relink_banner.shutdown(deadline)
            self.workers.join(remaining(deadline, CLOSE_DEADLINE_S))
            connectors = self._pages.get("connectors")
            if connectors is not None:
                connectors.shutdown()  # type: ignore[attr-defined]
            for key in ("logs", "remote", "settings"):
                page = self._pages.get(key)
                if page is not None:
                    page.shutdown(deadline)  # type: ignore[attr-defined]
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
