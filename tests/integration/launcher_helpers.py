"""Helpers shared by the launcher's integration tests: start `plugboard run` as Claude would, read its stderr
with a deadline, and wait for processes that are not our children."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import psutil

from plugboard.core.install import entry_command

SERVERS = Path(__file__).resolve().parent.parent / "servers"
ENV_SERVER = SERVERS / "env_server.py"

# A Python MCP server with the SDK loaded starts in ~0.5 s here; 20 s covers a loaded 2-core machine.
START_TIMEOUT_S = 20.0
# The launcher's own bounds are 2 s (stdin grace) + 3 s (kill grace); this leaves room for a slow machine.
STOP_TIMEOUT_S = 15.0


def claude_like_env(**extra: str) -> dict[str, str]:
    """What Claude Desktop gives a server (FACTS.md A) plus what the test session needs to reach its keyring."""
    env = {k: os.environ[k] for k in ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER") if k in os.environ}
    for key in ("PLUGBOARD_HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


def start_launcher(
    name: str, server: list[str], *, secrets: tuple[str, ...] = (), **env: str
) -> subprocess.Popen[bytes]:
    args = [entry_command(), "run", name]
    for key in secrets:
        args += ["--secret", key]
    return subprocess.Popen(
        [*args, "--", *server],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=claude_like_env(**env),
    )


def read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = START_TIMEOUT_S) -> bytes:
    """Read the launcher's stderr until `marker` appears; fail with what was read if the deadline passes."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {marker!r} on stderr within {timeout} s; got {seen!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"stderr closed before {marker!r}; got {seen!r}")
            seen += chunk
    return seen


def finish(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> tuple[int, bytes, bytes]:
    """Close the launcher's stdin (as Claude does) and wait for it: (exit code, rest of stdout, rest of stderr)."""
    if proc.stdin is not None and proc.stdin.closed:
        proc.stdin = None  # communicate() flushes stdin first, which a closed file refuses
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def wait_gone(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """True once `pid` no longer runs (it is not our child, so psutil waits on it by polling its existence)."""
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    _gone, alive = psutil.wait_procs([proc], timeout=timeout)
    return not alive


def python_server(code: str) -> list[str]:
    return [sys.executable, "-c", code]
