"""`TunnelSet`: the app's live tunnels, at most one `Tunnel` per profile name, owned here rather than by a widget.

- `start(profile)` starts the profile's tunnel unless one of that name is live already. A final (failed) one is
  replaced; one that is still closing (after `stop` or `restart`) is let go first: the new one starts when the old
  one has released the local port, so a reconnect with new settings never finds its own port taken.
- `stop(name)` takes the tunnel out of the set at once and closes it on a thread of the set's own: `Tunnel.close`
  joins threads with deadlines (up to `SUPERVISOR_JOIN_S`), which must not run on a GUI thread. A host-key
  question that tunnel is waiting on is answered "no" first, or its thread would wait for a dialog nobody sees.
- `restart(profile)` is `stop` then `start`: the new settings take over once the old connection has let go.
- `subscribe(callback)` hears `(name, tunnel, state)` for every state of every tunnel the set runs, the final
  "stopped" included, from the thread that made it (a Qt adapter re-emits onto the GUI thread). The tunnel is passed
  so a late event from a tunnel that was already replaced can be told apart (`get(name) is not tunnel`).
- `close(timeout)` stops everything, refuses later starts and joins the closing threads with one shared deadline.
  Bounded, and safe to call twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from plugboard.core.listeners import Listeners
from plugboard.core.tunnel.consent import HostKeyConsent
from plugboard.core.tunnel.hostkeys import KnownHosts
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.session import SecretLookup
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import SUPERVISOR_JOIN_S, Tunnel, keyring_secret

log = logging.getLogger(__name__)

# Closing a tunnel joins its threads with deadlines (SUPERVISOR_JOIN_S = 14 s in the worst case, a TCP connect that
# cannot be interrupted); `close` waits a little longer than that for all of them at once, as they close in parallel.
CLOSE_JOIN_S = SUPERVISOR_JOIN_S + 2.0

Listener = Callable[[str, Tunnel, TunnelState], None]


class TunnelSet:
    def __init__(
        self,
        *,
        consent: HostKeyConsent | None = None,
        get_secret: SecretLookup = keyring_secret,
        known_hosts: KnownHosts | None = None,
    ) -> None:
        self._consent = consent
        self._get_secret = get_secret
        self._known_hosts = known_hosts if known_hosts is not None or consent is None else consent.known_hosts()
        self._lock = threading.RLock()
        self._live: dict[str, Tunnel] = {}
        self._unsubscribe: dict[Tunnel, Callable[[], None]] = {}
        self._closers: dict[str, list[threading.Thread]] = {}
        self._pending: dict[str, TunnelProfile] = {}
        self._listeners: Listeners[[str, Tunnel, TunnelState]] = Listeners("the live tunnels", log)
        self._closed = False

    # -- reading ---------------------------------------------------------------------------------------------------

    def get(self, name: str) -> Tunnel | None:
        with self._lock:
            return self._live.get(name)

    def items(self) -> list[tuple[str, Tunnel]]:
        with self._lock:
            return list(self._live.items())

    def is_live(self, name: str) -> bool:
        """Connecting, up, reconnecting, or waiting to start once its predecessor has let go of the port."""
        with self._lock:
            tunnel = self._live.get(name)
            return name in self._pending or (tunnel is not None and not tunnel.state.final)

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(callback)

    # -- changes ---------------------------------------------------------------------------------------------------

    def start(self, profile: TunnelProfile) -> None:
        """Start `profile`'s tunnel (binds its port now, connects in the background); nothing if it is live."""
        name = profile.name
        with self._lock:
            if self._closed or name in self._pending:
                return
            current = self._live.get(name)
            if current is not None and not current.state.final:
                return
            if self._closers.get(name):
                self._pending[name] = profile  # started by the closing thread once the old one is gone
                return
            if current is not None:
                # A failed one: its threads are done and its port released; this only tidies it up.
                del self._live[name]
                self._close_in_background(name, current)
            tunnel = Tunnel(
                profile,
                get_secret=self._get_secret,
                confirm_host_key=self._consent.confirm if self._consent is not None else None,
                known_hosts=self._known_hosts,
            )
            self._live[name] = tunnel
            # Subscribed before start: start() itself reports "connecting" (or "failed" for a taken port).
            self._unsubscribe[tunnel] = tunnel.subscribe(lambda state: self._listeners.emit(name, tunnel, state))
            tunnel.start()

    def stop(self, name: str) -> bool:
        """Take `name`'s tunnel out of the set and close it in the background; whether there was one."""
        with self._lock:
            pending = self._pending.pop(name, None)
            tunnel = self._live.pop(name, None)
            if tunnel is not None:
                self._close_in_background(name, tunnel)
            return tunnel is not None or pending is not None

    def restart(self, profile: TunnelProfile) -> None:
        """Close the tunnel of that name (if any), then start `profile` once the old one has let go of its port."""
        with self._lock:
            self.stop(profile.name)
            self.start(profile)

    def close(self, timeout: float = CLOSE_JOIN_S) -> bool:
        """Stop every tunnel and wait (at most `timeout`) until all are closed; whether they all were in time."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            for name, tunnel in list(self._live.items()):
                self._close_in_background(name, tunnel)
            self._live.clear()
            closers = [thread for threads in self._closers.values() for thread in threads]
        deadline = time.monotonic() + timeout
        for thread in closers:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in closers)

    def _close_in_background(self, name: str, tunnel: Tunnel) -> None:
        """Close `tunnel` on a thread of its own, then start what waited for its port. Called with the lock held."""

        def close() -> None:
            try:
                if self._consent is not None:
                    self._consent.cancel_for(tunnel.profile.host, tunnel.profile.port)
                tunnel.close()  # reports "stopped" to the subscription
            finally:
                with self._lock:
                    unsubscribe = self._unsubscribe.pop(tunnel, None)
                    threads = self._closers.get(name, [])
                    if thread in threads:
                        threads.remove(thread)
                    if not threads:
                        self._closers.pop(name, None)
                    waiting = None if threads or self._closed else self._pending.pop(name, None)
                if unsubscribe is not None:
                    unsubscribe()
                if waiting is not None:
                    self.start(waiting)

        thread = threading.Thread(target=close, name=f"plugboard-tunnel-close-{name}", daemon=True)
        self._closers.setdefault(name, []).append(thread)
        thread.start()
