"""A table model for the Remote page: one row per tunnel profile with its live state, light and traffic.

No rules here: the page hands it profiles and the latest `TunnelState` per tunnel (already on the GUI thread),
and the model only phrases them. The phrases are plain functions (`state_phrase`, `traffic_phrase`) so the
tests and the tray can use the same words.

A tunnel that a connector uses (`plugboard proxy … --ssh NAME`) is opened by that connector's own process when
Claude Desktop starts it, not by the app; its row says which connector uses it and how that connector's run
stands (`usage_phrase`, from the launcher's status record the proxy keeps), instead of "Stopped".

The countdown in "reconnecting (attempt n, next try in s)" is computed from when the state arrived, so the page
only has to ask the model to repaint once a second while a tunnel is live; nothing polls the tunnel for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from plugboard.core.launch.status import RunState
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.state import ProblemKind, StateKind, TunnelState
from plugboard.gui.icons import status_dot

COLUMNS = ("Name", "State", "Route", "Traffic", "Used by")
NAME, STATE, ROUTE, TRAFFIC, USED = range(len(COLUMNS))
Index = QModelIndex | QPersistentModelIndex

# Lights: green up, amber on its way (connecting, reconnecting), red failed, grey stopped.
LIGHTS = {"up": "#2e9d4c", "busy": "#d98e04", "bad": "#d0342c", "off": "#9aa0a6"}

PROBLEM_LABELS: dict[ProblemKind, str] = {
    ProblemKind.AUTH: "login refused",
    ProblemKind.HOSTKEY: "host key",
    ProblemKind.NETWORK: "network",
    ProblemKind.PORT: "local port in use",
    ProblemKind.REMOTE: "remote port refused",
}


def state_phrase(state: TunnelState | None, waited_s: float = 0.0) -> str:
    """What the state column says; `waited_s` is the time since the state arrived (for the countdown)."""
    if state is None or state.kind in (StateKind.IDLE, StateKind.STOPPED):
        return "Stopped"
    if state.kind is StateKind.CONNECTING:
        return "Connecting…" if state.attempt <= 1 else f"Connecting… (attempt {state.attempt})"
    if state.kind is StateKind.UP:
        return f"Up on 127.0.0.1:{state.local_port}"
    if state.kind is StateKind.RECONNECTING:
        left = max(0.0, (state.next_try_s or 0.0) - waited_s)
        why = f": {state.problem.message}" if state.problem else ""
        return f"Reconnecting (attempt {state.attempt}, next try in {left:.0f} s){why}"
    if state.problem is None:
        return "Failed"
    return f"Failed ({PROBLEM_LABELS[state.problem.kind]}): {state.problem.message}"


@dataclass(frozen=True)
class Usage:
    """A connector that goes through this tunnel, and how its last run stands (its proxy opens the tunnel)."""

    connector: str
    state: RunState | None = None
    reason: str = ""


def usage_phrase(users: tuple[Usage, ...]) -> str | None:
    """What the state column says for a tunnel the app does not run itself but connectors use; None if unused."""
    if not users:
        return None
    running = [u.connector for u in users if u.state is RunState.RUNNING]
    failed = [u for u in users if u.state in (RunState.FAILED, RunState.CRASHED)]
    if running:
        return f"Open for {', '.join(running)} (Claude Desktop runs it)"
    if failed:
        first = failed[0]
        why = f": {first.reason}" if first.reason else ""
        return f"{first.connector} could not use it{why}"
    names = ", ".join(u.connector for u in users)
    return f"Closed; opens when Claude Desktop starts {names}"


def usage_light(users: tuple[Usage, ...]) -> str:
    if any(u.state is RunState.RUNNING for u in users):
        return "up"
    if any(u.state in (RunState.FAILED, RunState.CRASHED) for u in users):
        return "bad"
    return "off"


def tunnel_notice(
    name: str, before: TunnelState | None, after: TunnelState, *, dropped: bool
) -> tuple[str, str, bool] | None:
    """The notification for a change users want to hear about, as (title, text, bad); None for the rest.

    `dropped`: the tunnel went down from "up" earlier and has not been up since. Heard about: an up tunnel
    dropping, a dropped one coming back, a tunnel failing for good. Not every retry in between.
    """
    was = before.kind if before is not None else None
    why = after.problem.message if after.problem else after.describe()
    if was is StateKind.UP and after.kind is StateKind.RECONNECTING:
        return f"Tunnel {name} dropped", f"{why}. Plugboard is reconnecting.", True
    if after.kind is StateKind.UP and dropped:
        return f"Tunnel {name} is back", f"Up again on 127.0.0.1:{after.local_port}.", False
    if after.kind is StateKind.FAILED and was is not StateKind.FAILED:
        return f"Tunnel {name} failed", why, True
    return None


def light(state: TunnelState | None) -> str:
    if state is None or state.kind in (StateKind.IDLE, StateKind.STOPPED):
        return "off"
    if state.kind is StateKind.UP:
        return "up"
    if state.kind is StateKind.FAILED:
        return "bad"
    return "busy"


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def traffic_phrase(traffic: tuple[int, int] | None) -> str:
    if traffic is None:
        return ""
    sent, received = traffic
    return f"↑ {_size(sent)}  ↓ {_size(received)}"


@dataclass(frozen=True)
class TunnelRow:
    profile: TunnelProfile
    state: TunnelState | None = None
    since: float = 0.0
    """time.monotonic() when `state` arrived."""
    traffic: tuple[int, int] | None = None
    users: tuple[Usage, ...] = ()
    """Connectors whose entries go through this tunnel."""

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def app_live(self) -> bool:
        """The app itself runs this tunnel now (any state but stopped)."""
        return self.state is not None and self.state.kind not in (StateKind.IDLE, StateKind.STOPPED)

    def phrase(self, now: float | None = None) -> str:
        if not self.app_live and (used := usage_phrase(self.users)) is not None:
            return used
        return state_phrase(self.state, (now if now is not None else time.monotonic()) - self.since)

    def light(self) -> str:
        if not self.app_live and self.users:
            return usage_light(self.users)
        return light(self.state)


class TunnelsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[TunnelRow] = []

    def set_rows(self, rows: list[TunnelRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[TunnelRow]:
        return list(self._rows)

    def row(self, index: int) -> TunnelRow:
        return self._rows[index]

    def find(self, name: str) -> int | None:
        for i, row in enumerate(self._rows):
            if row.name == name:
                return i
        return None

    def update(self, name: str, **changes: Any) -> TunnelRow | None:
        """Change one row's state/traffic in place (no reset: selection and scroll stay)."""
        i = self.find(name)
        if i is None:
            return None
        self._rows[i] = replace(self._rows[i], **changes)
        self.dataChanged.emit(self.index(i, NAME), self.index(i, USED))
        return self._rows[i]

    def tick(self) -> None:
        """Repaint the live columns (countdowns)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, STATE), self.index(len(self._rows) - 1, STATE))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == STATE:
                return row.phrase()
            if column == NAME:
                return row.name
            if column == ROUTE:
                return row.profile.describe()
            if column == TRAFFIC:
                if role == Qt.ItemDataRole.DisplayRole:
                    return traffic_phrase(row.traffic)
                return "Bytes sent and received through the tunnel" if row.traffic else None
            if column == USED:
                return ", ".join(u.connector for u in row.users) or (
                    "" if role == Qt.ItemDataRole.DisplayRole else "No connector uses it"
                )
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and column == NAME:
            return f"Light: {row.phrase()}"  # what the coloured dot says, for a screen reader
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return status_dot(LIGHTS[row.light()])
        return None
