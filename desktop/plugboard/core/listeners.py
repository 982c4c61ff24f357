"""Who hears an owner's events: the subscribe / unsubscribe / emit that tunnels, the live tunnel set, host-key
consent, the proxy and the health monitor share.

`subscribe(callback)` returns the function that unsubscribes it. `emit(...)` calls every callback with the same
arguments, in the order they subscribed, on the emitting thread; one that raises is logged and the others still
hear the event. Once `unsubscribe()` returns, its callback is not running and is never called again, so a Qt
adapter may be deleted right after (callbacks must therefore not wait on a thread that may be unsubscribing: Qt
adapters re-emit as queued signals, which never waits).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Listeners(Generic[P]):
    def __init__(self, what: str, log: logging.Logger) -> None:
        self._what = what
        self._log = log
        self._lock = threading.Lock()
        # Held while callbacks run and while one is removed: what makes unsubscribe final.
        self._calling = threading.RLock()
        self._callbacks: tuple[Callable[P, None], ...] = ()

    def subscribe(self, callback: Callable[P, None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

        def unsubscribe() -> None:
            with self._calling, self._lock:
                self._callbacks = tuple(c for c in self._callbacks if c is not callback)

        return unsubscribe

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        with self._calling:
            for callback in self._callbacks:
                try:
                    callback(*args, **kwargs)
                except Exception:  # a broken listener must not stop the others or the emitting thread
                    self._log.exception("a listener of %s failed", self._what)

    def __len__(self) -> int:
        return len(self._callbacks)
