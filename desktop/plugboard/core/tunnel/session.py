"""One SSH connection for a tunnel: TCP (or a channel via a jump host), key exchange, host key, login.

Order matters (FACTS.md §C.2, §C.5, §C.8): every blocking step has a deadline; the host key is checked after
key exchange and *before* authentication, so no password or signature reaches an unverified server; exactly
one authentication method is tried, so a key-file profile never offers agent keys first.

Failures are raised as `SessionError` carrying a `Problem` kind: `hostkey` and `auth` are final (retrying
cannot fix them and would lock accounts), `network` is retried by the tunnel.

Performance choices, measured in tests/benchmarks/bench_tunnel.py: the SSH socket is wrapped in
`QuickAckSocket` (the 40 ms delayed-ACK stall, FACTS.md §C.4) and the channel window is large so bulk
transfers are not throttled by window updates on a fast link.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.hostkeys import HostKeyError, KnownHosts, UnknownHostKeyError
from plugboard.core.tunnel.profile import PASSPHRASE_KEY, PASSWORD_KEY, TunnelProfile
from plugboard.core.tunnel.sockets import QuickAckSocket, connect_tcp
from plugboard.core.tunnel.state import Problem, ProblemKind

log = logging.getLogger(__name__)

# A droplet across an ocean answers a TCP SYN in well under a second; 10 s covers a slow captive Wi-Fi without
# leaving a dead host hanging the tunnel for long.
CONNECT_TIMEOUT_S = 10.0
# Banner + key exchange: a handful of round trips and one signature on the server.
HANDSHAKE_TIMEOUT_S = 15.0
# Authentication: an agent may ask the user to touch a hardware key; 30 s is OpenSSH's own LoginGraceTime
# scale.
AUTH_TIMEOUT_S = 30.0
# Opening a channel is one round trip plus the server's connect() to the remote port.
CHANNEL_OPEN_TIMEOUT_S = 10.0
# Waiting for paramiko's transport thread after close: it polls its socket every 0.1 s.
TRANSPORT_JOIN_S = 2.0
# 8 MiB window: bulk data never waits for window adjustments on a fast link, while memory per channel stays
# bounded. 128 KiB packets (sshd sends up to what we advertise; SSH allows 256 KiB): a quarter of the per-packet
# Python work of 32 KiB ones, measured 275 → 315 MB/s through the tunnel (tests/benchmarks/bench_tunnel.py).
WINDOW_SIZE = 8 * 2**20
MAX_PACKET_SIZE = 2**17

# AES-GCM first: one pass for encryption and integrity instead of AES-CTR plus a separate HMAC in Python-driven
# steps; measured with bench_tunnel.py: bulk 150-180 MB/s with paramiko's default aes128-ctr + hmac-sha2-256,
# 250-305 MB/s with aes128-gcm (2-core box, sshd on loopback). Servers without GCM fall back to paramiko's order.
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")

SecretLookup = Callable[[str, str], str | None]
ConfirmHostKey = Callable[[UnknownHostKeyError], bool]


class SessionError(Exception):
    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(kind, message)


@dataclass
class SshSession:
    """The transport a tunnel forwards over (and the jump transport it rides on, if any)."""

    transport: paramiko.Transport
    jump: SshSession | None = None
    _raw_socket: socket.socket | None = None
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def is_active(self) -> bool:
        return bool(self.transport.is_active())

    def close(self) -> None:
        """Transport (its channels go with it), then the jump host's, then the socket; joins are bounded."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.transport.close()
        if self.transport.is_alive() and self.transport is not threading.current_thread():
            self.transport.join(TRANSPORT_JOIN_S)
        if self.jump is not None:
            self.jump.close()
        if self._raw_socket is not None:
            self._raw_socket.close()


class SessionOpener:
    """Opens `SshSession`s for one profile. `abort()` (any thread) closes a half-open session at once."""

    def __init__(
        self,
        profile: TunnelProfile,
        known_hosts: KnownHosts,
        get_secret: SecretLookup,
        confirm_host_key: ConfirmHostKey,
    ) -> None:
        self.profile = profile
        self.known_hosts = known_hosts
        self.get_secret = get_secret
        self.confirm_host_key = confirm_host_key
        self._lock = threading.Lock()
        self._pending: list[SshSession | socket.socket] = []
        self._aborted = False

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            pending, self._pending = self._pending, []
        for item in pending:
            with contextlib.suppress(OSError):
                item.close()

    def _track(self, item: SshSession | socket.socket) -> None:
        with self._lock:
            if self._aborted:
                aborted = True
            else:
                aborted = False
                self._pending.append(item)
        if aborted:
            item.close()
            raise SessionError(ProblemKind.NETWORK, "stopped while connecting")

    def _untrack(self, item: SshSession | socket.socket) -> None:
        with self._lock:
            if item in self._pending:
                self._pending.remove(item)

    def open(self) -> SshSession:
        jump_endpoint = self.profile.jump_endpoint
        jump: SshSession | None = None
        if jump_endpoint is not None:
            jump = self._open_one(jump_endpoint.host, jump_endpoint.port, jump_endpoint.user or self.profile.user)
        try:
            session = self._open_one(self.profile.host, self.profile.port, self.profile.user, via=jump)
            if self.profile.pty_nodelay:
                self._mark_interactive(session)
        except BaseException:
            if jump is not None:
                jump.close()
            raise
        session.jump = jump
        if jump is not None:
            self._untrack(jump)
        return session

    def _open_one(self, host: str, port: int, user: str, via: SshSession | None = None) -> SshSession:
        raw: socket.socket | None = None
        sock: socket.socket | QuickAckSocket | paramiko.Channel
        where = f"{user}@{host}:{port}"
        if via is None:
            try:
                raw = connect_tcp(host, port, CONNECT_TIMEOUT_S)
            except OSError as exc:
                raise SessionError(ProblemKind.NETWORK, f"cannot reach {host}:{port}: {_reason(exc)}") from exc
            self._track(raw)
            sock = QuickAckSocket(raw)
        else:
            try:
                sock = via.transport.open_channel(
                    "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=CHANNEL_OPEN_TIMEOUT_S
                )
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise SessionError(ProblemKind.NETWORK, f"the jump host cannot reach {host}:{port}: {exc}") from exc
        transport = paramiko.Transport(
            sock,  # type: ignore[arg-type]  # paramiko accepts any socket-like object; the stubs say socket only
            default_window_size=WINDOW_SIZE,
            default_max_packet_size=MAX_PACKET_SIZE,
        )
        session = SshSession(transport, _raw_socket=raw)
        if raw is not None:
            self._untrack(raw)
        self._track(session)
        try:
            transport.banner_timeout = HANDSHAKE_TIMEOUT_S
            transport.auth_timeout = AUTH_TIMEOUT_S
            options = transport.get_security_options()
            options.ciphers = _prefer(PREFERRED_CIPHERS, tuple(options.ciphers))
            options.key_types = self.known_hosts.preferred_key_algorithms(host, port, tuple(options.key_types))
            try:
                transport.start_client(timeout=HANDSHAKE_TIMEOUT_S)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise SessionError(ProblemKind.NETWORK, f"SSH handshake with {host}:{port} failed: {exc}") from exc
            self._check_host_key(host, port, transport.get_remote_server_key())
            self._authenticate(transport, user, where)
        except BaseException:
            self._untrack(session)
            session.close()
            raise
        self._untrack(session)
        return session

    def _mark_interactive(self, session: SshSession) -> None:
        """Make sshd turn Nagle off on its side of the connection (opt-in; for platforms without TCP_QUICKACK).

        OpenSSH sets TCP_NODELAY on a connection only when it runs a session with a pty (`do_exec_pty` →
        `ssh_packet_set_interactive`), and the setting stays for the connection's life, forwards included. So we
        run `true` once with a pty and close the channel. Side effects the user accepts by opting in: the server
        logs a short login with a terminal (utmp/wtmp), and accounts whose shell refuses commands still work
        (the flag is set before the shell runs).
        """
        try:
            channel = session.transport.open_session(timeout=CHANNEL_OPEN_TIMEOUT_S)
            try:
                channel.settimeout(CHANNEL_OPEN_TIMEOUT_S)
                channel.get_pty(term="dumb", width=80, height=24)
                channel.exec_command("true")
            finally:
                channel.close()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            # Not fatal: the tunnel works, it only keeps the delayed-ACK stall.
            log.warning("could not mark the SSH connection interactive (pty refused?): %s", exc)

    def _check_host_key(self, host: str, port: int, key: paramiko.PKey) -> None:
        try:
            self.known_hosts.check(host, port, key)
        except UnknownHostKeyError as exc:
            if not self.confirm_host_key(exc):
                raise SessionError(ProblemKind.HOSTKEY, str(exc)) from exc
            self.known_hosts.accept(host, port, key)
            log.info("accepted host key %s for %s:%s", exc.fingerprint, host, port)
        except HostKeyError as exc:
            raise SessionError(ProblemKind.HOSTKEY, str(exc)) from exc

    def _authenticate(self, transport: paramiko.Transport, user: str, where: str) -> None:
        method = self.profile.auth
        try:
            if method == "key":
                self._auth_key(transport, user, where)
            elif method == "password":
                self._auth_password(transport, user, where)
            else:
                self._auth_agent(transport, user, where)
        except paramiko.BadAuthenticationType as exc:
            allowed = ", ".join(exc.allowed_types) or "none"
            raise SessionError(
                ProblemKind.AUTH, f"{where} does not accept {method} login (it allows: {allowed})"
            ) from exc
        except paramiko.AuthenticationException as exc:
            raise SessionError(ProblemKind.AUTH, f"{where} refused the {method} login: {exc}") from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SessionError(ProblemKind.NETWORK, f"connection to {where} broke during login: {exc}") from exc
        if not transport.is_authenticated():
            raise SessionError(ProblemKind.AUTH, f"{where} refused the {method} login")

    def _secret(self, key: str) -> str | None:
        try:
            return self.get_secret(self.profile.secret_connector, key)
        except PlugboardError as exc:  # no keyring backend, say: the message tells the user what to do
            raise SessionError(ProblemKind.AUTH, str(exc)) from exc

    def _auth_key(self, transport: paramiko.Transport, user: str, where: str) -> None:
        assert self.profile.key_file is not None  # checked by TunnelProfile
        path = Path(self.profile.key_file).expanduser()
        # The keyring is asked only for a key that is actually protected: a plain key works without one.
        key = self._load_key(path, None)
        if key is None:
            passphrase = self._secret(PASSPHRASE_KEY)
            if passphrase is None:
                raise SessionError(
                    ProblemKind.AUTH,
                    f"key {path} is protected by a passphrase; store it with "
                    f"`plugboard secret set {self.profile.secret_connector} {PASSPHRASE_KEY}`",
                )
            key = self._load_key(path, passphrase)
            if key is None:
                raise SessionError(
                    ProblemKind.AUTH, f"cannot unlock key {path} with the stored passphrase (is it the right one?)"
                )
        transport.auth_publickey(user, key)

    def _load_key(self, path: Path, passphrase: str | None) -> paramiko.PKey | None:
        """The key, or None when it needs a (different) passphrase."""
        try:
            # cryptography wants bytes here although paramiko documents str.
            secret = passphrase.encode("utf-8") if passphrase is not None else None
            return paramiko.PKey.from_path(path, password=secret)  # type: ignore[arg-type]
        except (paramiko.PasswordRequiredException, TypeError) as exc:
            # paramiko 5 lets cryptography's TypeError("Key is password-protected...") through for OpenSSH keys.
            if isinstance(exc, TypeError) and "password" not in str(exc).lower():
                raise
            return None
        except (paramiko.SSHException, ValueError) as exc:
            if passphrase is not None:
                # A wrong passphrase shows up as a decode error whose wording depends on the key format.
                return None
            raise SessionError(ProblemKind.AUTH, f"cannot load key {path}: {exc}") from exc
        except OSError as exc:
            raise SessionError(ProblemKind.AUTH, f"cannot read key {path}: {_reason(exc)}") from exc

    def _auth_password(self, transport: paramiko.Transport, user: str, where: str) -> None:
        password = self._secret(PASSWORD_KEY)
        if password is None:
            raise SessionError(
                ProblemKind.AUTH,
                f"no password stored for {where}; store it with "
                f"`plugboard secret set {self.profile.secret_connector} {PASSWORD_KEY}`",
            )
        try:
            transport.auth_password(user, password, fallback=False)
        except paramiko.BadAuthenticationType as exc:
            if "keyboard-interactive" not in exc.allowed_types:
                raise

            # Servers using PAM often take the password only through keyboard-interactive.
            def answer(_title: str, _instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
                return [password if "password" in prompt.lower() else "" for prompt, _echo in prompts]

            transport.auth_interactive(user, answer)

    def _auth_agent(self, transport: paramiko.Transport, user: str, where: str) -> None:
        if not os.environ.get("SSH_AUTH_SOCK"):
            raise SessionError(
                ProblemKind.AUTH, "no ssh-agent is running (SSH_AUTH_SOCK is not set); start one or use a key file"
            )
        agent = paramiko.Agent()
        try:
            keys = agent.get_keys()
            if not keys:
                raise SessionError(ProblemKind.AUTH, "the ssh-agent holds no keys; add one with ssh-add")
            last: Exception | None = None
            for key in keys:
                try:
                    transport.auth_publickey(user, key)
                except paramiko.AuthenticationException as exc:
                    last = exc
                    continue
                if transport.is_authenticated():
                    return
            raise paramiko.AuthenticationException(f"none of the agent's {len(keys)} keys was accepted ({last})")
        finally:
            agent.close()


def _prefer(first: tuple[str, ...], offered: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in first if c in offered) + tuple(c for c in offered if c not in first)


def _reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc)
