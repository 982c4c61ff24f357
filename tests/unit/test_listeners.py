"""core.listeners: every listener hears each event in order, a broken one is logged, and unsubscribe is final."""

import logging
import threading

from plugboard.core.listeners import Listeners

log = logging.getLogger("test-listeners")


def test_each_listener_hears_every_event_in_order_and_a_broken_one_stops_nobody(caplog):
    listeners: Listeners[[str, int]] = Listeners("the test", log)
    heard: list[tuple[str, str, int]] = []

    def broken(_name: str, _n: int) -> None:
        raise RuntimeError("boom")

    listeners.subscribe(lambda name, n: heard.append(("first", name, n)))
    listeners.subscribe(broken)
    unsubscribe = listeners.subscribe(lambda name, n: heard.append(("last", name, n)))
    listeners.emit("a", 1)
    unsubscribe()
    listeners.emit("b", 2)
    assert heard == [("first", "a", 1), ("last", "a", 1), ("first", "b", 2)]
    assert [r.getMessage() for r in caplog.records].count("a listener of the test failed") == 2


def test_unsubscribe_waits_for_a_running_callback_and_it_is_never_called_again():
    listeners: Listeners[[int]] = Listeners("the test", log)
    inside, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow(n: int) -> None:
        calls.append(n)
        inside.set()
        release.wait(10)

    unsubscribe = listeners.subscribe(slow)
    emitter = threading.Thread(target=listeners.emit, args=(1,))
    emitter.start()
    assert inside.wait(10)
    done = threading.Event()
    remover = threading.Thread(target=lambda: (unsubscribe(), done.set()))
    remover.start()
    assert not done.wait(0.2)  # still inside the callback: unsubscribe has not returned
    release.set()
    assert done.wait(10)
    listeners.emit(2)
    emitter.join(10)
    remover.join(10)
    assert calls == [1] and len(listeners) == 0
