"""Signalling a server Plugboard started and everything it started: the launcher and the supervisor share this.

Both start a server in its own session (`start_new_session=True`), so its pid is also its process group's id, and
a signal to the group reaches what the server started (`npx` → `node`, `uv run` → `python`). A group that is
already gone (or not ours to signal) is not an error: stopping is idempotent.

Windows has no process groups or POSIX signals (not run here, not verified): SIGKILL means `kill()`, anything else
`terminate()` — both end only the process itself, not its children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to `proc`'s process group (POSIX), or stop `proc` itself (Windows)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(proc.pid, sig)
        elif proc.poll() is None:
            proc.kill() if sig == getattr(signal, "SIGKILL", None) else proc.terminate()
