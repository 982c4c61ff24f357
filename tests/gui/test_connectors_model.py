"""Health comes from core events: the connectors model follows a `HealthMonitor` (its own threads), gets each event on
the GUI thread, changes only the row it is about, and hears nothing once it stops watching. The window follows a
launcher's record from started to failing, in words."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from plugboard.core.config.connectors import Connector
from plugboard.core.install import entry_command
from plugboard.core.launch.status import ConnectorStatus, RunState, write_status
from plugboard.core.probe.health import HealthChanged, HealthMonitor
from plugboard.gui.connectors_model import STATUS, ConnectorsModel

# The monitor's watcher looks twice a second; 10 s only bounds a stuck one.
LIGHT_MS = 10_000
# A monitor that looks often: the interval is not under test.
FAST_POLL_S = 0.05


def launched(name: str) -> Connector:
    return Connector(name, True, {"command": entry_command(), "args": ["run", name, "--", "npx", "-y", "x"]})


def running_record(name: str) -> ConnectorStatus:
    # As the launcher does: this live process as the launcher, its start noted just after it began.
    started = psutil.Process().create_time() + 0.2
    return ConnectorStatus(
        name=name, state=RunState.RUNNING, launcher_pid=os.getpid(), launcher_started=started, started=started
    )


def test_a_monitor_event_from_its_thread_changes_that_rows_line_on_the_gui_thread(qtbot: Any) -> None:
    model = ConnectorsModel()
    connectors = [launched("github"), launched("files")]
    model.set_rows([model.make_row(c, None, "") for c in connectors])
    threads: list[bool] = []
    changed: list[int] = []
    model.dataChanged.connect(lambda first, _last: changed.append(first.row()))
    original = model.health_changed

    def on_gui_thread(event: HealthChanged) -> None:
        threads.append(QThread.currentThread() is QApplication.instance().thread())
        original(event)

    model.health_changed = on_gui_thread  # type: ignore[method-assign]
    monitor = HealthMonitor(None, poll_s=FAST_POLL_S, launch_poll_s=FAST_POLL_S)
    model.watch(monitor)
    monitor.track(connectors)
    write_status(ConnectorStatus(name="github", state=RunState.FAILED, reason="missing secret GITHUB_TOKEN"))
    monitor.start()
    try:
        qtbot.waitUntil(lambda: model.row(0).light == "bad", timeout=LIGHT_MS)
    finally:
        model.unwatch()
        monitor.close()

    assert model.row(0).status == "Needs the GitHub token"
    assert model.row(1).status == "Not started by Claude yet"
    assert any(threads) and all(threads)
    assert set(changed) == {0}
    assert model.index(0, STATUS).data(0) is None  # the status column shows a light, the words are in the row


def test_once_the_model_stops_watching_no_event_reaches_it(qtbot: Any) -> None:
    model = ConnectorsModel()
    github = launched("github")
    model.set_rows([model.make_row(github, None, "")])
    monitor = HealthMonitor(None, poll_s=FAST_POLL_S, launch_poll_s=FAST_POLL_S)
    model.watch(monitor)
    model.unwatch()
    heard: list[HealthChanged] = []
    monitor.subscribe(heard.append)
    monitor.track([github])

    write_status(ConnectorStatus(name="github", state=RunState.FAILED, reason="missing secret GITHUB_TOKEN"))
    poller = threading.Thread(target=monitor.launches.poll)
    poller.start()
    poller.join()
    qtbot.waitUntil(lambda: any(e.health.light == "bad" for e in heard), timeout=LIGHT_MS)
    QApplication.processEvents()  # queued calls, had there been any, run now

    assert model.row(0).light == "off" and "github" not in model.healths
    monitor.close()


def test_the_window_follows_a_connectors_launcher_record_from_started_to_failing(
    qtbot: Any, open_window: Any, claude_config: Path
) -> None:
    entry = {"command": entry_command(), "args": ["run", "github", "--", "npx", "-y", "x"]}
    window = open_window(json.dumps({"mcpServers": {"github": entry}}))
    page = window.page
    assert page.model.row(0).status == "Not started by Claude yet"

    write_status(running_record("github"))
    qtbot.waitUntil(lambda: page.model.row(0).status == "Started by Claude — not tested yet", timeout=LIGHT_MS)
    assert page.model.row(0).light == "off"  # started is not "works": no handshake seen yet
    record = running_record("github")
    record.state, record.exit_code, record.ended = RunState.EXITED, 1, record.started
    record.stderr_tail = ["Error: something broke"]
    write_status(record)
    qtbot.waitUntil(lambda: page.model.row(0).light == "bad", timeout=LIGHT_MS)

    assert page.model.row(0).status == "Stops as soon as it starts"
    window.close()
    thread = page.health._thread
    assert thread is not None and not thread.is_alive()
    assert page.model._feed is None
