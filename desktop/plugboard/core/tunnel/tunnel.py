"""`Tunnel`, the one owner of a managed SSH port forward: listener, session, watchdog, reconnects, shutdown.

Usable as a library (the proxy brings a profile up in-process and rides its reconnects) and by the CLI and
GUI:

    tunnel = Tunnel(profile, get_secret=get_secret)
    unsubscribe = tunnel.subscribe(print)      # called with each new TunnelState, from the tunnel's thread
    tunnel.start()                             # binds 127.0.0.1:local_port now, connects in the background
    tunnel.wait_up(timeout=20)                 # True once up
    ... connect to 127.0.0.1:tunnel.local_port ...
    tunnel.close()                             # bounded, idempotent

Shape, and why:
- The listener is bound in `start()` on the caller's thread, before any SSH work, and kept for the tunnel's
  life: "local port in use" is reported at once as its own final state, and clients keep one port across
  reconnects.
- One supervisor thread runs the state machine; paramiko's transport thread, the watchdog thread and the pump
  threads hang off it. "up" is announced only after the port is bound *and* a test channel to the remote port
  opened (FACTS.md §C.7). If the SSH connection works but the remote port refuses, the state says so (problem
  `remote`) and the test channel is retried on the same connection.
- Retried problems (network, remote) back off with jitter and a cap (`backoff.Retries`), only while attempts fail:
  a connection that worked (up for `Backoff.stable_after_s`) and dropped is reconnected at once (issue 16). Auth
  and host-key problems are final: retrying cannot fix them, and repeated failed logins get accounts locked.
- Without a listener (`start(listen=False)`), the tunnel serves only its owner's process: `open_channel` gives a
  channel to the remote port, waiting (bounded) for the tunnel to be up. That is how `plugboard proxy --ssh` uses
  it, so no port on this machine leads into the SSH login (issue 16).
- Events are plain callbacks so Qt can adapt them later (a model subscribes and marshals onto the GUI thread).
  A callback that raises is logged and does not disturb the tunnel.
- `close()` stops in stages: flag, abort a connect in progress, close connections (channels before sockets),
  the listener, the transport, then join threads each with a deadline (FACTS.md §C.9).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import paramiko

from plugboard.core.backoff import Backoff, Retries
from plugboard.core.listeners import Listeners
from plugboard.core.paths import plugboard_dirs
from plugboard.core.tunnel.forward import Forwarder, PortInUseError, bind_listener
from plugboard.core.tunnel.hostkeys import KnownHosts, UnknownHostKeyError
from plugboard.core.tunnel.profile import TunnelProfile, load_profile
from plugboard.core.tunnel.session import (
    CHANNEL_OPEN_TIMEOUT_S,
    ConfirmHostKey,
    SecretLookup,
    SessionError,
    SessionOpener,
    SshSession,
)
from plugboard.core.tunnel.state import Problem, ProblemKind, StateKind, TunnelState
from plugboard.core.tunnel.watchdog import Watchdog

log = logging.getLogger(__name__)

# How often the supervisor looks at a healthy connection (transport alive? watchdog expired?). Small against
# the watchdog deadline so detection stays within deadline + 1 s.
SUPERVISE_TICK_S = 0.5
# The supervisor's worst blocking step is a TCP connect (session.CONNECT_TIMEOUT_S = 10 s) which cannot be
# interrupted portably; close() waits that long plus room for the transport's own shutdown before giving up.
SUPERVISOR_JOIN_S = 14.0

Listener = Callable[[TunnelState], None]


def keyring_secret(connector: str, key: str) -> str | None:
    """Secret lookup backed by the OS keyring; imported only when a protected key or a password needs it."""
    from plugboard.core.secrets.keyring import get_secret

    return get_secret(connector, key)


def _refuse_unknown_host(_error: UnknownHostKeyError) -> bool:
    return False


def _no_secrets(_connector: str, _key: str) -> str | None:
    return None


class Tunnel:
    def __init__(
        self,
        profile: TunnelProfile,
        *,
        get_secret: SecretLookup | None = None,
        confirm_host_key: ConfirmHostKey | None = None,
        known_hosts: KnownHosts | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.profile = profile
        self.backoff = backoff or Backoff()
        self._known_hosts = known_hosts or KnownHosts(plugboard_dirs().known_hosts)
        self._opener = SessionOpener(
            profile,
            self._known_hosts,
            get_secret or _no_secrets,
            confirm_host_key or _refuse_unknown_host,
        )
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._emit_lock = threading.RLock()
        self._listeners: Listeners[[TunnelState]] = Listeners(f"tunnel {profile.name}", log)
        self._state = TunnelState(StateKind.IDLE)
        self._stop = threading.Event()
        self._remote_refused = threading.Event()
        self._session: SshSession | None = None
        self._forwarder: Forwarder | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.local_port: int | None = None

    # -- events
    # -------------------------------------------------------------------------------------------------

    def traffic(self) -> tuple[int, int] | None:
        """Bytes (sent to the remote, received from it) through this tunnel so far; None before it listens."""
        forwarder = self._forwarder
        return forwarder.traffic() if forwarder is not None else None

    @property
    def state(self) -> TunnelState:
        with self._lock:
            return self._state

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call `callback(state)` on every change, from the thread that made it (usually the tunnel's own); returns
        the unsubscribe function (`core.listeners`: once it returns, `callback` is never called again)."""
        return self._listeners.subscribe(callback)

    def _set(self, state: TunnelState) -> None:
        # One emitter at a time, in the order states were set: listeners never see states out of order.
        with self._emit_lock:
            with self._lock:
                if self._state.kind is StateKind.STOPPED:
                    return  # nothing follows "stopped"
                self._state = state
                self._changed.notify_all()
            log.info("tunnel %s: %s", self.profile.name, state.describe())
            self._listeners.emit(state)

    def wait_for(self, predicate: Callable[[TunnelState], bool], timeout: float) -> TunnelState:
        """Block until `predicate(state)` holds or `timeout` passes; returns the state at that moment."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self._state):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return self._state

    def wait_up(self, timeout: float) -> bool:
        """True once the tunnel is up; False when `timeout` passed or it reached a final state first."""
        state = self.wait_for(lambda s: s.kind is StateKind.UP or s.final, timeout)
        return state.kind is StateKind.UP

    # -- life cycle
    # ---------------------------------------------------------------------------------------------

    def start(self, *, listen: bool = True) -> None:
        """Bind the local port now (failed/port if taken) and connect in the background. Call once.

        `listen=False`: no local port at all; only this process reaches the remote port, through `open_channel`."""
        with self._lock:
            if self._thread is not None or self._closed:
                raise RuntimeError("a Tunnel starts once; make a new one to start again")
            self._thread = threading.Thread(
                target=self._supervise, name=f"plugboard-tunnel-{self.profile.name}", daemon=True
            )
        if not listen:
            self._set(TunnelState(StateKind.CONNECTING, attempt=1))
            self._thread.start()
            return
        try:
            listener = bind_listener(self.profile.local_port)
        except PortInUseError as exc:
            self._set(
                TunnelState(
                    StateKind.FAILED, problem=Problem(ProblemKind.PORT, str(exc)), local_port=self.profile.local_port
                )
            )
            return
        self.local_port = listener.getsockname()[1]
        self._forwarder = Forwarder(listener, self._open_forward_channel, self.profile.name)
        self._set(TunnelState(StateKind.CONNECTING, attempt=1, local_port=self.local_port))
        self._forwarder.start()
        self._thread.start()

    def close(self) -> None:
        """Stop everything and release the port. Bounded (joins with deadlines) and safe to call twice."""
        with self._lock:
            already = self._closed
            self._closed = True
        if not already:
            self._stop.set()
            self._opener.abort()
            if self._forwarder is not None:
                self._forwarder.close()
            self._drop_session()
            thread = self._thread
            if thread is not None and thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=SUPERVISOR_JOIN_S)
            self._drop_session()  # a session the supervisor finished opening while we were stopping
        self._set(TunnelState(StateKind.STOPPED, local_port=self.local_port))

    @classmethod
    def from_store(
        cls,
        name: str,
        *,
        confirm_host_key: ConfirmHostKey | None = None,
        backoff: Backoff | None = None,
    ) -> Tunnel:
        """The tunnel for the stored profile `name`, reading secrets from the OS keyring (what the proxy uses)."""
        return cls(
            load_profile(name),
            get_secret=keyring_secret,
            confirm_host_key=confirm_host_key,
            backoff=backoff,
        )

    def __enter__(self) -> Tunnel:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the supervisor
    # -----------------------------------------------------------------------------------------

    def _supervise(self) -> None:
        attempt = 1
        retries = Retries(self.backoff)
        try:
            while not self._stop.is_set():
                problem = self._connect_and_serve(retries)
                if self._stop.is_set():
                    return
                if problem.kind in (ProblemKind.AUTH, ProblemKind.HOSTKEY):
                    self._set(TunnelState(StateKind.FAILED, problem=problem, local_port=self.local_port))
                    if self._forwarder is not None:
                        self._forwarder.close()
                    return
                wait = retries.next_wait()
                if wait == 0.0:
                    attempt = 1  # a working connection dropped: a new outage, its first try now
                self._set(
                    TunnelState(
                        StateKind.RECONNECTING,
                        attempt=attempt,
                        next_try_s=wait,
                        problem=problem,
                        local_port=self.local_port,
                    )
                )
                attempt += 1
                if self._stop.wait(wait):
                    return
                self._set(TunnelState(StateKind.CONNECTING, attempt=attempt, local_port=self.local_port))
        except Exception:
            log.exception("tunnel %s: supervisor crashed", self.profile.name)
            self._set(
                TunnelState(
                    StateKind.FAILED,
                    problem=Problem(ProblemKind.NETWORK, "internal error; see the log"),
                    local_port=self.local_port,
                )
            )
        finally:
            self._drop_session()

    def _connect_and_serve(self, retries: Retries) -> Problem:
        """One connection's life: the problem that ended it (tells `retries` when it was up)."""
        try:
            session = self._opener.open()
        except SessionError as exc:
            return exc.problem
        with self._lock:
            if self._stop.is_set():
                stopping = True
            else:
                stopping = False
                self._session = session
        if stopping:
            session.close()
            return Problem(ProblemKind.NETWORK, "stopped")
        watchdog = Watchdog(
            session.transport,
            self.profile.keepalive_interval_s,
            self.profile.keepalive_count,
            self.profile.name,
        )
        watchdog.start()
        reason = "the connection dropped"
        try:
            while True:
                problem = self._wait_for_remote(session)
                if problem is not None:
                    return problem
                if self._stop.is_set():
                    return Problem(ProblemKind.NETWORK, "stopped")
                retries.up()
                self._remote_refused.clear()
                self._set(TunnelState(StateKind.UP, local_port=self.local_port))
                dropped: str | None = None
                while not self._stop.wait(SUPERVISE_TICK_S):
                    if not session.is_active():
                        dropped = "the SSH connection closed"
                        break
                    if watchdog.expired():
                        dropped = f"the server stopped answering (no reply for {watchdog.silence_s():.0f} s)"
                        break
                    if self._remote_refused.is_set():
                        break  # the service behind the tunnel went away: check it on this same connection
                else:
                    return Problem(ProblemKind.NETWORK, "stopped")
                if dropped is not None:
                    reason = dropped
                    break
        finally:
            # Closing the transport first wakes a probe blocked on a frozen server; then the watchdog joins
            # quickly.
            self._drop_session()
            watchdog.stop()
        return Problem(ProblemKind.NETWORK, reason)

    def _wait_for_remote(self, session: SshSession) -> Problem | None:
        """Open (and close) a test channel to the remote port; retry on this connection while it refuses."""
        remote_attempt = 0
        while not self._stop.is_set():
            try:
                channel = self._open_channel(session, ("127.0.0.1", 0))
            except paramiko.ChannelException as exc:
                remote_attempt += 1
                problem = Problem(
                    ProblemKind.REMOTE,
                    f"{self.profile.remote_host}:{self.profile.remote_port} refused the connection on the "
                    f"server (is the service running there?): {exc.text}",
                )
                wait = self.backoff.delay(remote_attempt)
                self._set(
                    TunnelState(
                        StateKind.RECONNECTING,
                        attempt=remote_attempt,
                        next_try_s=wait,
                        problem=problem,
                        local_port=self.local_port,
                    )
                )
                if self._stop.wait(wait):
                    return None
                continue
            except (paramiko.SSHException, OSError, EOFError) as exc:
                return Problem(ProblemKind.NETWORK, f"the SSH connection broke while opening a channel: {exc}")
            channel.close()
            return None
        return None

    def _open_channel(self, session: SshSession, peer: tuple[str, int]) -> paramiko.Channel:
        return session.transport.open_channel(
            "direct-tcpip",
            (self.profile.remote_host, self.profile.remote_port),
            peer,
            timeout=CHANNEL_OPEN_TIMEOUT_S,
        )

    def open_channel(self, host: str, port: int, timeout: float) -> paramiko.Channel:
        """A `direct-tcpip` channel to host:port as the SSH host sees it, for this process's own use (the proxy's
        HTTP connections). Waits up to `timeout` for the tunnel to be up: `TimeoutError` if it is not by then,
        `ConnectionError` if it failed for good or the remote port refused (reported like the forwarder does)."""
        if not self.wait_up(timeout):
            state = self.state
            if state.final:
                raise ConnectionError(f"the SSH tunnel {self.profile.name!r} is {state.describe()}")
            raise TimeoutError(f"the SSH tunnel {self.profile.name!r} is {state.describe()}")
        with self._lock:
            session = self._session if self._state.kind is StateKind.UP else None
        if session is None:
            raise ConnectionError(f"the SSH tunnel {self.profile.name!r} dropped")
        try:
            channel = session.transport.open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=CHANNEL_OPEN_TIMEOUT_S
            )
        except paramiko.ChannelException as exc:
            self._remote_refused.set()
            raise ConnectionRefusedError(f"{host}:{port} refused the connection on the server: {exc.text}") from exc
        channel.settimeout(None)
        return channel

    def _open_forward_channel(self, peer: tuple[str, int]) -> paramiko.Channel | None:
        with self._lock:
            session = self._session if self._state.kind is StateKind.UP else None
        if session is None:
            return None
        try:
            channel = self._open_channel(session, peer)
        except paramiko.ChannelException:
            # The server could not connect to the remote port: tell the supervisor, which reports it.
            self._remote_refused.set()
            raise
        channel.settimeout(None)
        return channel

    def _drop_session(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if self._forwarder is not None:
            self._forwarder.drop_connections()
        if session is not None:
            session.close()
