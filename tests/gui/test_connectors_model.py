"""Status lights come from core events: the connectors model follows a `LaunchWatcher` (its own thread), gets each
event on the GUI thread, changes only the row it is about, decides the light from the typed state (never from the
label's words), and hears nothing once it stops watching."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from plugboard.core.config.connectors import Connector
from plugboard.core.entries import plugboard_executable
from plugboard.core.launch.status import ConnectorStatus, RunState, write_status
from plugboard.core.launch.watch import LaunchChanged, LaunchWatcher
from plugboard.gui.connectors_model import STATUS, ConnectorsModel, describe

# The page's watcher looks twice a second; 10 s only bounds a stuck one.
LIGHT_MS = 10_000
# A watcher that looks often: the interval is not under test.
FAST_POLL_S = 0.05


def launched(name: str) -> Connector:
    return Connector(name, True, {"command": plugboard_executable(), "args": ["run", name, "--", "npx", "-y", "x"]})


def running_record(name: str) -> ConnectorStatus:
    # As the launcher does: this live process as the launcher, its start noted just after it began.
    started = psutil.Process().create_time() + 0.2
    return ConnectorStatus(name=name, state=RunState.RUNNING, launcher_pid=os.getpid(), launcher_started=started)


def test_a_watcher_event_from_its_thread_changes_that_rows_light_on_the_gui_thread(qtbot: Any) -> None:
    model = ConnectorsModel()
    model.set_rows([model.make_row(launched("github"), None, ""), model.make_row(launched("files"), None, "")])
    threads: list[bool] = []
    changed: list[int] = []
    model.dataChanged.connect(lambda first, _last: changed.append(first.row()))
    original = model.launch_changed

    def on_gui_thread(event: LaunchChanged) -> None:
        threads.append(QThread.currentThread() is QApplication.instance().thread())
        original(event)

    model.launch_changed = on_gui_thread  # type: ignore[method-assign]
    watcher = LaunchWatcher(["github", "files"], poll_s=FAST_POLL_S)
    model.watch(watcher)
    write_status(running_record("github"))
    watcher.start()
    try:
        qtbot.waitUntil(lambda: model.row(0).light == "ok", timeout=LIGHT_MS)
    finally:
        model.unwatch()
        watcher.close()

    assert model.row(0).status == "Running in Claude"
    assert model.row(1).status == "Not started yet"
    assert threads and all(threads)
    assert set(changed) == {0}
    assert model.index(0, STATUS).data(0) is None  # the status column shows a light, not words


def test_the_light_is_decided_by_the_typed_state_not_by_the_labels_words() -> None:
    github = launched("github")
    failed = ConnectorStatus(name="github", state=RunState.FAILED, reason="missing secret GITHUB_TOKEN")
    event = LaunchChanged("github", "failed: missing secret GITHUB_TOKEN", failed, RunState.FAILED)
    assert describe(github, event) == ("Failing: failed: missing secret GITHUB_TOKEN", "bad")

    exited = ConnectorStatus(name="github", state=RunState.EXITED, exit_code=0)
    # A label that happens to start with "failed" does not make a clean exit red.
    assert describe(github, LaunchChanged("github", "failed-looking words", exited, RunState.EXITED)) == (
        "Stopped",
        "off",
    )
    crashed = ConnectorStatus(name="github", state=RunState.RUNNING, launcher_pid=None)
    assert describe(github, LaunchChanged("github", "crashed", crashed, RunState.CRASHED))[1] == "bad"
    assert describe(github, None) == ("Not started yet", "off")
    assert describe(github, event, testing=True) == ("Running here: Plugboard is testing it", "ok")


def test_once_the_model_stops_watching_no_event_reaches_it(qtbot: Any) -> None:
    model = ConnectorsModel()
    model.set_rows([model.make_row(launched("github"), None, "")])
    watcher = LaunchWatcher(["github"], poll_s=FAST_POLL_S)
    model.watch(watcher)
    model.unwatch()
    heard: list[LaunchChanged] = []
    watcher.subscribe(heard.append)

    write_status(running_record("github"))
    poller = threading.Thread(target=watcher.poll)
    poller.start()
    poller.join()
    deadline = time.monotonic() + 0.2
    qtbot.waitUntil(lambda: time.monotonic() >= deadline, timeout=LIGHT_MS)  # queued calls would have run by now

    assert [e.state for e in heard] == [RunState.RUNNING]  # the watcher did see it
    assert model.row(0).light == "off" and "github" not in model.launches


def test_the_window_follows_a_connectors_launcher_record_from_running_to_failing(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    entry = {"command": plugboard_executable(), "args": ["run", "github", "--", "npx", "-y", "x"]}
    window = open_window(json.dumps({"mcpServers": {"github": entry}}))
    page = window.page
    assert page.model.row(0).status == "Not started yet"

    write_status(running_record("github"))
    qtbot.waitUntil(lambda: page.model.row(0).light == "ok", timeout=LIGHT_MS)
    write_status(ConnectorStatus(name="github", state=RunState.EXITED, exit_code=1))
    qtbot.waitUntil(lambda: page.model.row(0).light == "bad", timeout=LIGHT_MS)

    assert page.model.row(0).status == "Failing: exited 1"
    window.close()
    assert page.launches._thread is not None and not page.launches._thread.is_alive()
    assert page.model._feed is None
