"""`plugboard proxy NAME URL ...` as a program: wires the `Proxy` relay to stdin/stdout, the keyring, the status
record, the connector log and (with `--ssh`) an in-process tunnel.

Shaped like the launcher (`launcher.py`): the same status record (`status.ConnectorStatus`, state "running" while
we relay, "exited 0" when Claude closed stdin, "failed: <reason>" when a header secret is missing), the same
per-connector log (`connector_log`), notes on stderr too so Claude's `mcp-server-NAME.log` explains a failure.

A missing secret does not end the process: Claude would only show "server disconnected". The proxy stays up and
answers every request with the sentence that says which secret to set (and the status record says "failed").

With `--oauth [--client-id ID] [--scope S]` the relay sends the connector's OAuth sign-in (`signin.RelaySignIn` over
`oauth.session.OAuthSession`; the tokens stay in the keyring). Without one yet, the first request opens the browser
to sign in from the proxy itself. `--oauth` with a static Authorization (`--bearer-secret`, a header) or with
`--ssh` is refused in the words `oauth.entry` uses for an entry.

With `--ssh PROFILE` the stored tunnel profile is started here, in this process, so the connector works while the
desktop app is closed. The URL names the MCP endpoint as the SSH host sees it (`http://127.0.0.1:5000/mcp`). The
tunnel listens on no port: every HTTP connection of the relay is an SSH channel opened in this process
(`channel_transport`), so no other local user or program can ride the SSH login (issue 16), and the Host header is
the URL's own (FACTS.md §B.14). While the tunnel reconnects, requests wait for it up to the proxy's connect window
(the very first connection up to `TUNNEL_FIRST_UP_S`), then get an error that says it is reconnecting.

The address is checked by the one rule (`url.url_problem`): a refused address (not http(s), credentials in
it) is a refusal like a missing secret. Everything this module writes about the address — the status record's
command, the "relaying to" line, the refusal — shows `url.display_url` (no user info, no query).

`ProxyProgram` is the one owner of the run (`main` builds it and returns its exit code): it settles what to refuse,
starts the tunnel, builds the relay, reads stdin and cleans up. Stopping: SIGTERM/SIGHUP/SIGINT while relaying
unwind the stdin read (SystemExit) so the clean-up runs: the proxy's close (DELETE of the session), the tunnel's
close, the final status record. Once that clean-up has started (`cleaning_up`) a signal is only recorded
(`stopped_by`) — raising inside it would skip the DELETE, leave the tunnel open and the status record saying
"running".

Start-up cost matters (cold start → initialized is a product goal, ≤ 400 ms): httpx is imported by the relay on the
first message, paramiko only with `--ssh`, keyring only when a header names a secret or with `--oauth` (read on the
first request, not at start).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from plugboard.core.bridge.url import display_url, url_problem
from plugboard.core.errors import PlugboardError
from plugboard.core.files.fd_io import write_all
from plugboard.core.launch.status import ConnectorStatus, RunState, write_status
from plugboard.core.logs.connector_log import ConnectorLog

# The first connection of a tunnel: TCP + SSH handshake + auth to a remote host, a few seconds on a bad link.
# We do not wait for it before serving (Claude would time out our start); the first requests wait for it instead
# (bounded also by the HTTP connect timeout, `http_session.CONNECT_TIMEOUT_S`).
TUNNEL_FIRST_UP_S = 15.0
# Signals that stop the proxy the way closing stdin does (SIGHUP/SIGINT do not exist everywhere).
STOP_SIGNALS = ("SIGTERM", "SIGHUP", "SIGINT")


def proxy_entry(
    name: str,
    url: str,
    *,
    ssh: str | None = None,
    headers: list[str] | None = None,
    bearer_secret: str | None = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """The Claude config entry that bridges connector `name` to `url` (DESIGN.md entry shape). Header values may
    only name secrets (`${secret:KEY}`); the caller stores the values with `secrets.set_secret(name, KEY, ...)`.
    Refuses (`PlugboardError`) an address `url.url_problem` refuses and a header holding a plaintext
    secret, so neither reaches Claude's file."""
    from plugboard.core.bridge.headers import parse_header, refuse_plaintext_secret
    from plugboard.core.entries import ProxyEntry

    problem = url_problem(url, tunnel=bool(ssh))
    if problem is not None:
        raise PlugboardError(problem)
    for position, spec in enumerate(headers or [], 1):
        # A malformed, protocol-owned or plaintext-secret header is refused before it reaches Claude's file.
        refuse_plaintext_secret(*parse_header(spec, position), connector=name)
    built = ProxyEntry.new(
        name, url, ssh=ssh, headers=list(headers or []), bearer_secret=bearer_secret, timeout_s=timeout_s
    )
    return built.to_json()


class _Notes:
    """Where the proxy's own lines go: stderr (Claude's log of this server) and Plugboard's connector log."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.file = ConnectorLog(name)

    def __call__(self, text: str) -> None:
        with contextlib.suppress(OSError):
            write_all(2, f"plugboard proxy {self.name}: {text}\n".encode("utf-8", "replace"))
        self.file.note(text)


class ProxyProgram:
    """One run of `plugboard proxy`: the refusal (if any), the tunnel (with `--ssh`), the relay, the status record,
    and the signals that stop it. `run(stdin)` relays until stdin closes or a signal, cleans up, returns the exit
    code."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        header_specs: list[str],
        bearer_secret: str | None,
        ssh: str | None,
        timeout_s: float | None,
        oauth: bool = False,
        client_id: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.header_specs = header_specs
        self.bearer_secret = bearer_secret
        self.ssh = ssh
        self.timeout_s = timeout_s
        # A client id or scopes mean OAuth, as in the entry (`entries.ProxyEntry.new`).
        self.oauth = oauth or bool(client_id) or bool(scope)
        self.client_id = client_id
        self.scope = scope
        self.signin: Any = None  # `signin.RelaySignIn` with --oauth
        self.shown_url = display_url(url)
        self.notes = _Notes(name)
        started = time.time()
        self.record = ConnectorStatus(
            name=name,
            state=RunState.RUNNING,
            command=["proxy", self.shown_url, *(["--ssh", ssh] if ssh else []), *(["--oauth"] if self.oauth else [])],
            launcher_pid=os.getpid(),
            launcher_started=started,
            started=started,
        )
        self.refusal: str | None = None
        self.headers: dict[str, str] = {}
        self.secret_values: list[str] = []
        self.tunnel: Any = None
        self._tunnel_was_up = False
        self.stopped_by: int | None = None  # the signal that stopped us
        self.cleaning_up = False  # past this point a signal is only recorded

    # -- set-up

    def _refuse(self, text: str, reason: str) -> None:
        self.refusal, self.record.state, self.record.reason = text, RunState.FAILED, reason

    def _settle_address_and_headers(self) -> None:
        from plugboard.core.bridge.headers import resolve_headers
        from plugboard.core.secrets.keyring import MissingSecrets

        try:
            problem = url_problem(self.url, tunnel=bool(self.ssh))
            if problem is not None:
                raise PlugboardError(f"the address {self.shown_url} in Claude's config is refused: {problem}")
            if self.oauth:
                self._start_signin()
            self.headers, self.secret_values = resolve_headers(self.name, self.header_specs, self.bearer_secret)
        except MissingSecrets as exc:
            self._refuse(str(exc), exc.reason)
        except PlugboardError as exc:
            self._refuse(str(exc), str(exc))

    def _start_signin(self) -> None:
        """`--oauth`: the sign-in the relay sends (the same rules as `oauth.entry.with_oauth` for an entry)."""
        from plugboard.core.bridge.headers import parse_header
        from plugboard.core.bridge.oauth.entry import check_client_id, clean_scope
        from plugboard.core.bridge.oauth.session import OAuthSession
        from plugboard.core.bridge.signin import RelaySignIn

        named = [parse_header(spec, position)[0] for position, spec in enumerate(self.header_specs, 1)]
        if self.bearer_secret or any(name.lower() == "authorization" for name in named):
            raise PlugboardError(
                "use either --oauth (Plugboard signs in and keeps the tokens) or --bearer-secret / an Authorization "
                "header (a token you keep), not both"
            )
        if self.ssh:
            raise PlugboardError(
                "signing in with OAuth through an SSH tunnel (--ssh with --oauth) is not supported yet"
            )
        session = OAuthSession(
            self.name, self.url, client_id=check_client_id(self.client_id), scope=clean_scope(self.scope)
        )
        self.signin = RelaySignIn(session, log=self.notes)

    def _start_tunnel(self) -> None:
        from plugboard.core.secrets.keyring import get_secret
        from plugboard.core.tunnel.profile import load_profile
        from plugboard.core.tunnel.tunnel import Tunnel

        assert self.ssh is not None
        parts = urlsplit(self.url)
        try:
            profile = load_profile(self.ssh).with_changes(
                local_port=0, remote_host=parts.hostname or "127.0.0.1", remote_port=parts.port or 80
            )
        except PlugboardError as exc:
            self._refuse(f"tunnel {self.ssh}: {exc}", f"tunnel {self.ssh}: {exc}")
            return
        self.tunnel = Tunnel(profile, get_secret=get_secret)
        self.tunnel.subscribe(self._tunnel_changed)
        self.tunnel.start(listen=False)

    def _tunnel_changed(self, state: Any) -> None:
        from plugboard.core.tunnel.state import StateKind

        up = state.kind is StateKind.UP
        if up:
            self._tunnel_was_up = True
        shown = "up (channels opened in this process, no local port)" if up else state.describe()
        self.notes(f"tunnel {self.ssh}: {shown}")

    def _tunnel_hint(self) -> str | None:
        from plugboard.core.tunnel.state import StateKind

        state = self.tunnel.state
        return None if state.kind is StateKind.UP else f"the SSH tunnel {self.ssh!r} is {state.describe()}"

    def _tunnel_ready(self, timeout: float) -> bool:
        return bool(self.tunnel.wait_up(timeout))

    def _open_channel(self, host: str, port: int, wait: float) -> Any:
        from plugboard.core.bridge.proxy import CONNECT_RETRY_WINDOW_S

        # Before its first connection the tunnel may take a while (TUNNEL_FIRST_UP_S); after that, a connection
        # waits for a reconnecting tunnel only as long as the relay's connect window.
        return self.tunnel.open_channel(
            host, port, wait if not self._tunnel_was_up else min(wait, CONNECT_RETRY_WINDOW_S)
        )

    def _build_proxy(self) -> Any:
        from plugboard.core.bridge.proxy import DEFAULT_REQUEST_TIMEOUT_S, Proxy

        tunnelled: dict[str, Any] = {}
        if self.tunnel is not None:
            from plugboard.core.bridge.channel_transport import channel_transport

            tunnelled = {
                "transport": channel_transport(self._open_channel, TUNNEL_FIRST_UP_S),
                "unreachable_hint": self._tunnel_hint,
                "upstream_ready": self._tunnel_ready,
                "era_via": f"ssh {self.ssh}",
            }
        return Proxy(
            self.name,
            self.url,
            write=lambda data: write_all(1, data),
            log=self.notes,
            headers=self.headers,
            secret_values=self.secret_values,
            request_timeout_s=self.timeout_s or DEFAULT_REQUEST_TIMEOUT_S,
            refusal=self.refusal,
            auth=self.signin,
            **tunnelled,
        )

    # -- running

    def _on_signal(self, number: int, _frame: object) -> None:
        # Claude (or the user) asks us to stop: unwind out of the stdin read so close() DELETEs the session and
        # the status record says "stopped", instead of dying mid-write. Once the clean-up has begun, only note
        # the signal: raising inside it would cut the DELETE, the tunnel's close and the final status short.
        if self.stopped_by is not None:
            return  # already unwinding; a second signal must not cut the clean-up short
        self.stopped_by = number
        if not self.cleaning_up:
            raise SystemExit(128 + number)

    def run(self, stdin: Any) -> int:
        """Relay until the client closes `stdin` (a binary file object) or a stop signal; the exit code."""
        self._settle_address_and_headers()
        if self.refusal is None and self.ssh:
            self._start_tunnel()
        if self.refusal:
            self.notes(f"[error] not relaying: {self.refusal}")
        else:
            auth = ", ".join(sorted(self.headers)) or ("an OAuth sign-in" if self.oauth else "no extra headers")
            self.notes(f"relaying to {self.shown_url}{' via tunnel ' + self.ssh if self.ssh else ''} ({auth})")
        with contextlib.suppress(OSError, PlugboardError):
            write_status(self.record)
        proxy = self._build_proxy()
        for signal_name in STOP_SIGNALS:
            if hasattr(signal, signal_name):
                signal.signal(getattr(signal, signal_name), self._on_signal)
        try:
            # The read loop of `Proxy.run`, here, so the clean-up flag is up before `proxy.close()` starts: a signal
            # before the flag raises inside this `try` (and is caught below), one after it is only recorded.
            for line in iter(stdin.readline, b""):
                proxy.handle_line(line)
            self.cleaning_up = True
        except SystemExit:
            if self.stopped_by is None:
                raise
        finally:
            self.cleaning_up = True
            self._clean_up(proxy)
        return 128 + self.stopped_by if self.stopped_by is not None else 0

    def _clean_up(self, proxy: Any) -> None:
        proxy.close()
        if self.signin is not None:
            self.signin.close()
        if self.tunnel is not None:
            self.tunnel.close()
        record = self.record
        if record.state is RunState.RUNNING and self.stopped_by is not None:
            record.state, record.signal = RunState.STOPPED, self.stopped_by
        elif record.state is RunState.RUNNING:
            record.state, record.exit_code = RunState.EXITED, 0
        record.ended = time.time()
        with contextlib.suppress(OSError, PlugboardError):
            write_status(record)
        stopped = signal.Signals(self.stopped_by).name if self.stopped_by is not None else None
        self.notes(f"stopped by {stopped}" if stopped else "stopped: the client closed stdin")
        self.notes.file.close()


def main(
    name: str,
    url: str,
    *,
    header_specs: list[str],
    bearer_secret: str | None,
    ssh: str | None,
    timeout_s: float | None,
    oauth: bool = False,
    client_id: str | None = None,
    scope: str | None = None,
) -> int:
    program = ProxyProgram(
        name,
        url,
        header_specs=header_specs,
        bearer_secret=bearer_secret,
        ssh=ssh,
        timeout_s=timeout_s,
        oauth=oauth,
        client_id=client_id,
        scope=scope,
    )
    return program.run(sys.stdin.buffer)
