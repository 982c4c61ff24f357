"""Tunnels run by `plugboard tunnel up` in a process of their own, and seen and stopped from any other process.

- `run_until_stopped`: the `up` process's life. It refuses a name that another live process already runs, starts
  the `Tunnel`, keeps the run record (`runfile`) current on every state change so `status` and `down` work from
  elsewhere, and waits until `stop` is set or the tunnel reaches a final state; then closes the tunnel (bounded)
  and removes its record. Returns the last state before closing, so the caller can say why it ended.
- `stop_on_signals`: SIGINT, SIGTERM and SIGHUP (the terminal went away) set an Event instead of raising, for the
  time `up` runs; the previous handlers come back afterwards.
- `stop_running`: `down`. SIGTERM to the pid in the run record, then wait until that process is gone (a zombie
  its parent has not reaped counts as gone: it no longer holds the port), up to `DOWN_WAIT_S`.
- `remove_profile`: a profile whose tunnel an `up` process runs cannot be removed from under it.

Here, not in the command, so the command line and the app apply the same rules; nothing here prints or asks (the
caller passes `on_state` and `confirm_host_key`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator

import psutil

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.hostkeys import KnownHosts
from plugboard.core.tunnel.profile import TunnelProfile, delete_profile
from plugboard.core.tunnel.runfile import read_record, remove_record, write_record
from plugboard.core.tunnel.session import ConfirmHostKey, SecretLookup
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel, keyring_secret

# `up` waits for its stop Event in slices this long so Ctrl-C is handled promptly on every platform (Windows does
# not interrupt an untimed Event.wait).
STOP_POLL_S = 0.5
# `down` gives the tunnel process this long to close its connections and exit after SIGTERM (Tunnel.close is
# bounded by its own join deadlines, well under this).
DOWN_WAIT_S = 20.0
# How often `down` looks again; psutil cannot wait for a process that is not our child, only poll it.
DOWN_POLL_S = 0.1


def stop_signals() -> list[signal.Signals]:
    sigs = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        sigs.append(signal.SIGHUP)  # the terminal went away
    return sigs


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An Event that the stop signals set while the block runs (main thread only, as Python's signals are)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in stop_signals()}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_until_stopped(
    profile: TunnelProfile,
    stop: threading.Event,
    *,
    confirm_host_key: ConfirmHostKey | None = None,
    on_state: Callable[[TunnelState], None] | None = None,
    get_secret: SecretLookup = keyring_secret,
    known_hosts: KnownHosts | None = None,
) -> TunnelState:
    """Run `profile`'s tunnel in this process until `stop` is set or it ends by itself; the last state before closing.

    `on_state` hears every state change (from the tunnel's thread) before the run record is rewritten with it.
    """
    running = read_record(profile.name)
    if running is not None:
        raise PlugboardError(f"tunnel {profile.name!r} is already up (pid {running.pid})")
    started_at = time.time()

    def record(state: TunnelState) -> None:
        if on_state is not None:
            on_state(state)
        if state.kind != "stopped":
            write_record(profile.name, state, started_at)
        if state.final:
            stop.set()

    tunnel = Tunnel(profile, get_secret=get_secret, confirm_host_key=confirm_host_key, known_hosts=known_hosts)
    tunnel.subscribe(record)
    try:
        tunnel.start()
        while not stop.wait(STOP_POLL_S):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        final = tunnel.state
        tunnel.close()
        remove_record(profile.name)
    return final


def stop_running(name: str, *, wait_s: float = DOWN_WAIT_S) -> int:
    """Stop the `up` process that runs tunnel `name` and wait until it is gone; its pid."""
    record = read_record(name)
    if record is None:
        raise PlugboardError(f"tunnel {name!r} is not running")
    proc: psutil.Process | None
    try:
        proc = psutil.Process(record.pid)
        proc.terminate()
    except psutil.NoSuchProcess:
        proc = None
    deadline = time.monotonic() + wait_s
    while proc is not None and not _gone(proc):
        if time.monotonic() > deadline:
            raise PlugboardError(f"tunnel {name!r} (pid {record.pid}) did not stop within {wait_s:.0f} s")
        # Polling, not `proc.wait`: psutil's wait reaps the process when it is our own child (the app, a test),
        # and whoever started it would then lose its exit status.
        time.sleep(DOWN_POLL_S)
    return record.pid


def _gone(proc: psutil.Process) -> bool:
    """Exited: no such process, or a zombie its parent has not reaped yet (it no longer holds the port)."""
    try:
        return bool(proc.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def remove_profile(name: str) -> None:
    """Delete tunnel profile `name`, refused while an `up` process runs it."""
    record = read_record(name)
    if record is not None:
        raise PlugboardError(
            f"tunnel {name!r} is running (pid {record.pid}); `plugboard tunnel down` it first",
            plain=f"The tunnel “{name}” is open in another Plugboard; close it there first.",
        )
    delete_profile(name)
