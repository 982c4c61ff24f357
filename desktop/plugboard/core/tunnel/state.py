"""What a tunnel is doing, as immutable values the GUI, the CLI and the proxy can show or wait on.

States (DESIGN.md "Owners and state machines"): `connecting` (attempt n) → `up` → `reconnecting` (attempt n,
next try in s, with the problem that caused it) → … ; `failed` (a problem retrying cannot fix: authentication,
host key, local port in use) and `stopped` are final. A `Problem.kind` is one of the five causes users are
told apart: auth, hostkey, network, port (local port in use), remote (the SSH connection works but the remote
port refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StateKind = Literal["idle", "connecting", "up", "reconnecting", "failed", "stopped"]
ProblemKind = Literal["auth", "hostkey", "network", "port", "remote"]

FINAL_STATES: frozenset[StateKind] = frozenset({"failed", "stopped"})


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class TunnelState:
    kind: StateKind
    attempt: int = 0
    next_try_s: float | None = None
    problem: Problem | None = None
    local_port: int | None = None

    @property
    def final(self) -> bool:
        return self.kind in FINAL_STATES

    def describe(self) -> str:
        if self.kind == "up":
            return f"up on 127.0.0.1:{self.local_port}"
        if self.kind == "connecting":
            return "connecting" + (f" (attempt {self.attempt})" if self.attempt > 1 else "")
        if self.kind == "reconnecting":
            why = f": {self.problem.message}" if self.problem else ""
            return f"reconnecting (attempt {self.attempt}, next try in {self.next_try_s or 0:.1f} s){why}"
        if self.kind == "failed":
            return f"failed ({self.problem.kind}): {self.problem.message}" if self.problem else "failed"
        return self.kind

    def to_dict(self) -> dict[str, object]:
        return {
            "state": self.kind,
            "attempt": self.attempt,
            "next_try_s": self.next_try_s,
            "problem": self.problem.to_dict() if self.problem else None,
            "local_port": self.local_port,
            "text": self.describe(),
        }
