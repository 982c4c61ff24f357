"""Run blocking core work (Claude restarts, probes, keyring calls) off the GUI thread.

A plain Python thread does the work and reports through Qt signals; a signal emitted from another thread reaches
slots in the GUI thread as a queued call, so widgets are only touched there. Python threads (not QThreadPool) so
the test suite's leak guard sees and joins them. `join` is bounded and used on window close.

Closing the window waits for every page's workers, each bounded; the bounds must not add up (five pages waiting
2 s each would freeze a closing window for 10 s). So the window closes under one deadline (`closing_by`): while it
is set, every `Workers.join` waits at most until then, whatever bound its owner asked for, and each owner's
`shutdown(deadline)` passes the time that is left (`remaining`) to whatever else it waits on.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, Signal

from plugboard.core.errors import PlugboardError

_log = logging.getLogger(__name__)

# How long a page or dialog that goes waits for its workers: what they run ends within its own bounds (the edit
# lock's wait, a Test's deadlines), so this only keeps a closing window from hanging on one that does not.
JOIN_S = 2.0


class _Closing:
    by: float | None = None
    """The window's closing deadline (`time.monotonic()`), set while it closes; only the GUI thread sets or reads
    it."""


def remaining(deadline: float | None, default: float) -> float:
    """Seconds left until `deadline` (never below 0), or `default` without one; never past the closing deadline."""
    left = default if deadline is None else max(0.0, deadline - time.monotonic())
    if _Closing.by is not None:
        left = min(left, max(0.0, _Closing.by - time.monotonic()))
    return left


@contextlib.contextmanager
def closing_by(deadline: float) -> Iterator[None]:
    """Within this block every `Workers.join` (a page's own `shutdown` included) ends by `deadline`."""
    before, _Closing.by = _Closing.by, deadline
    try:
        yield
    finally:
        _Closing.by = before


class Worker(QObject):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, name: str, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._work = work
        self._thread = threading.Thread(target=self._run, name=f"plugboard-gui-{name}", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            result = self._work()
        except PlugboardError as exc:
            self._report(self.failed, exc.plain)
        except Exception as exc:  # a bug: still tell the user something readable, never crash the app
            # The full story goes to the log (stderr); the window gets the error's kind only, since its text could
            # hold anything (a value read from the keychain, a path) and means nothing to the user.
            _log.exception("%s: unexpected error", self.name)
            self._report(
                self.failed,
                "Something went wrong inside Plugboard (not something you did). Try again; if it happens again, "
                f"please report it (error: {type(exc).__name__}).",
            )
        else:
            self._report(self.done, result)

    @staticmethod
    def _report(signal: Any, value: object) -> None:
        # The window or dialog that started the work may be gone by now (closed while a Test ran): its worker object
        # went with it, and there is nobody left to tell.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class Workers:
    """The workers one page or dialog started: start them the safe way, ask if any is busy, join them all."""

    def __init__(self, owner: QObject, on_failed: Callable[[str], None] | None = None) -> None:
        self._owner = owner
        self._on_failed = on_failed
        self._running: list[Worker] = []

    def start(
        self,
        name: str,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None] | None = None,
    ) -> Worker:
        """Run `work` on a thread; `on_failed` (default: the group's) gets a failure's one-line message."""
        self._running = [w for w in self._running if w.is_running()]
        worker = Worker(name, work, self._owner)
        # Connected before the thread starts: a fast worker would otherwise report to nobody.
        worker.done.connect(on_done)
        failed = on_failed or self._on_failed
        if failed is not None:
            worker.failed.connect(failed)
        self._running.append(worker)
        return worker.start()

    def busy(self, *names: str) -> bool:
        """Whether one of them runs (with `names`: one of those names)."""
        return any(w.is_running() for w in self._running if not names or w.name in names)

    def join(self, timeout: float = JOIN_S) -> None:
        """Wait for all of them, `timeout` in total (less if the window's closing deadline comes first)."""
        deadline = time.monotonic() + remaining(None, timeout)
        for worker in self._running:
            worker.join(max(0.0, deadline - time.monotonic()))
