"""The banner at the top of the window about Plugboard's own command path (core/install.py, core/config/relink.py).

At each start, off the GUI thread, it repairs the per-user command path that Claude's entries name, so it leads to
the Plugboard that was just opened, and looks for connectors that still start another copy (an old folder, a moved
or deleted one). If there are any, it says so and offers Relink, which rewrites only their Plugboard path (with a
backup). On macOS, while the app runs from the temporary copy the system makes of a downloaded app, it says to
move Plugboard to Applications instead: nothing may be written then.

Claude's file can change while the app runs (fixed by hand, edited by Claude): the window calls `check` again each
time it reloads the file, so the banner says what is true now, never what was true at start. A file that cannot be
read is not this banner's business: the Connectors page explains it with its own Repair banner, so a failed check
leaves this one hidden (a parse error's words never reach it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from plugboard.core import install
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.relink import Link, Relinked, relink, stale
from plugboard.gui.worker import Workers, remaining

# Closing the window waits at most this long for a check or a relink still running (the window's deadline may cut
# it shorter): a relink writes Claude's file under the edit lock, which another process may hold.
JOIN_S = 5.0
MOVE_TO_APPLICATIONS = (
    "Plugboard is running from a temporary copy that macOS made of the download, so it cannot change your "
    "connectors. Move Plugboard to the Applications folder, then open it again from there."
)


def _names(links: list[Link]) -> str:
    names = [link.name for link in links]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


class RelinkBanner(QFrame):
    relinked = Signal(str)
    """Entries were rewritten; the text says what to do next."""

    def __init__(self, connectors: Callable[[], Connectors], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("relinkBanner")
        self._connectors = connectors
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("Relink")
        self.button.clicked.connect(self.relink)
        row = QHBoxLayout(self)
        row.addWidget(self.text, 1)
        row.addWidget(self.button)
        self.workers = Workers(self)
        self.checked = False
        """The newest look is done (whatever it found)."""
        self._repaired = False
        self._ticket = 0
        self.hide()

    def check(self) -> None:
        """Look (on a worker) for connectors that start another copy of Plugboard; the first look also repairs the
        command path. A look asked for while one runs replaces it: only the newest one's answer is shown."""
        connectors = self._connectors()
        repair = not self._repaired
        self._repaired = True
        self._ticket += 1
        ticket = self._ticket
        self.checked = False

        def work() -> list[Link] | None:
            if install.translocated():
                return None
            if repair:
                install.repair_shim(take_over=True)
            return stale(connectors)

        self.workers.start(
            "relink-check", work, lambda links: self._found(ticket, links), lambda _message: self._unreadable(ticket)
        )

    def _found(self, ticket: int, links: list[Link] | None) -> None:
        if ticket != self._ticket:
            return  # a newer look is running: its answer is the one to show
        self.checked = True
        if links is None:
            self._say(MOVE_TO_APPLICATIONS, button=False)
        elif links:
            many = len(links) != 1
            self._say(
                f"{len(links)} connector{'s' if many else ''} ({_names(links)}) "
                f"{'start' if many else 'starts'} a copy of Plugboard that was moved, deleted or replaced, so Claude "
                "Desktop may not be able to start them. Relink them to this Plugboard (a backup is kept).",
                button=True,
            )
        else:
            self.hide()

    def _unreadable(self, ticket: int) -> None:
        """The look failed (Claude's file cannot be read or parsed): nothing to say here; the Connectors page
        explains the file."""
        if ticket != self._ticket:
            return
        self.checked = True
        self.hide()

    def relink(self) -> None:
        self.button.setEnabled(False)
        connectors = self._connectors()
        self.workers.start("relink", lambda: relink(connectors), self._relinked, self._relink_failed)

    def _relinked(self, result: Relinked) -> None:
        count = len(result.changed)
        note = (
            f"Relinked {count} connector{'s' if count != 1 else ''} to this Plugboard. "
            "Restart Claude Desktop to use them."
        )
        self._say(note, button=False)
        self.relinked.emit(note)

    def _relink_failed(self, message: str) -> None:
        self._say(f"Could not relink: {message}", button=True)

    def _say(self, text: str, *, button: bool) -> None:
        self.text.setText(text)
        self.button.setVisible(button)
        self.button.setEnabled(True)
        self.show()

    def shutdown(self, deadline: float | None = None) -> None:
        """Wait for a look or a relink still running, until `deadline` (`time.monotonic()`) at most."""
        self.workers.join(remaining(deadline, JOIN_S))
