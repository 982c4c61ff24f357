"""Specs for the purpose-built servers in tests/servers/, shared by the supervisor and doctor tests."""

from __future__ import annotations

import sys
from pathlib import Path

from plugboard.core.probe.supervisor import ServerSpec

SERVERS = Path(__file__).resolve().parent.parent / "servers"

# The handshake of an SDK server here takes ~0.6 s (interpreter + SDK import); 30 s absorbs a loaded 2-core box.
READY_DEADLINE_S = 30.0
# Short on purpose where a test *expects* no answer: the timeout is the behaviour under test.
HANG_TIMEOUT_S = 1.5
# The silent server ignores stdin, so stop() waits this grace before SIGTERM; short keeps the test quick.
SHORT_GRACE_S = 0.3


def python_spec(name: str, script: str, **env: str) -> ServerSpec:
    return ServerSpec(name, sys.executable, [str(SERVERS / script)], env=dict(env))
