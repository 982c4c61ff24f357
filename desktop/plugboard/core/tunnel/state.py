"""What a tunnel is doing, as immutable values the GUI, the CLI and the proxy can show or wait on.

States (DESIGN.md "Owners and state machines"): `connecting` (attempt n) → `up` → `reconnecting` (attempt n,
next try in s, with the problem that caused it) → … ; `failed` (a problem retrying cannot fix: authentication,
host key, local port in use) and `stopped` are final. A `Problem.kind` is one of the five causes users are
told apart: auth, hostkey, network, port (local port in use), remote (the SSH connection works but the remote
port refused).

Both are `StrEnum`s: the value is what the run file and `plugboard tunnel status --json` print, exactly as when
they were plain strings, and a member compares equal to its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StateKind(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    UP = "up"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    STOPPED = "stopped"


class ProblemKind(StrEnum):
    AUTH = "auth"  # the server refused every credential we have
    HOSTKEY = "hostkey"  # unknown or changed host key
    NETWORK = "network"  # cannot reach the server, or the connection dropped
    PORT = "port"  # the local port is in use
    REMOTE = "remote"  # SSH works, but the remote port refused the forward


FINAL_STATES = frozenset({StateKind.FAILED, StateKind.STOPPED})


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ProblemKind(self.kind))  # a caller holding the plain value gets the member

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class TunnelState:
    kind: StateKind
    attempt: int = 0
    next_try_s: float | None = None
    problem: Problem | None = None
    local_port: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", StateKind(self.kind))  # a caller holding the plain value gets the member

    @property
    def final(self) -> bool:
        return self.kind in FINAL_STATES

    def describe(self) -> str:
        if self.kind is StateKind.UP:
            return f"up on 127.0.0.1:{self.local_port}"
        if self.kind is StateKind.CONNECTING:
            return "connecting" + (f" (attempt {self.attempt})" if self.attempt > 1 else "")
        if self.kind is StateKind.RECONNECTING:
            why = f": {self.problem.message}" if self.problem else ""
            return f"reconnecting (attempt {self.attempt}, next try in {self.next_try_s or 0:.1f} s){why}"
        if self.kind is StateKind.FAILED:
            return f"failed ({self.problem.kind}): {self.problem.message}" if self.problem else "failed"
        return self.kind.value

    def to_dict(self) -> dict[str, object]:
        return {
            "state": self.kind,
            "attempt": self.attempt,
            "next_try_s": self.next_try_s,
            "problem": self.problem.to_dict() if self.problem else None,
            "local_port": self.local_port,
            "text": self.describe(),
        }
