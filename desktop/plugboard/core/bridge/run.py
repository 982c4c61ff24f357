"""`plugboard proxy NAME URL ...` as a program: wires the `Proxy` relay to stdin/stdout, the keyring, the status
record, the connector log and (with `--ssh`) an in-process tunnel.

Shaped like the launcher (`launcher.py`): the same status record (`status.ConnectorStatus`, state "running" while
we relay, "exited 0" when Claude closed stdin, "failed: <reason>" when a header secret is missing), the same
per-connector log (`connector_log`), notes on stderr too so Claude's `mcp-server-NAME.log` explains a failure.

A missing secret does not end the process: Claude would only show "server disconnected". The proxy stays up and
answers every request with the sentence that says which secret to set (and the status record says "failed").

With `--ssh PROFILE` the stored tunnel profile is started here, in this process, so the connector works while the
desktop app is closed. The URL names the MCP endpoint as the SSH host sees it (`http://127.0.0.1:5000/mcp`): the
tunnel forwards a private local port (always an ephemeral one, so it never collides with the app's own tunnel on
the same profile) to that host and port, and requests keep `Host: 127.0.0.1:5000` (FACTS.md §B.14). While the tunnel
reconnects, requests wait for it up to the proxy's connect window, then get an error that says it is reconnecting.

The address is checked by the one rule (`remote_url.url_problem`): a refused address (not http(s), credentials in
it) is a refusal like a missing secret. Everything this module writes about the address — the status record's
command, the "relaying to" line, the refusal — shows `remote_url.display_url` (no user info, no query).

Stopping: SIGTERM/SIGHUP/SIGINT while relaying unwind the stdin read (SystemExit) so the clean-up runs: the
proxy's close (DELETE of the session), the tunnel's close, the final status record. Once that clean-up has
started a signal is only recorded — raising inside it would skip the DELETE, leave the tunnel open and the status
record saying "running".

Start-up cost matters (cold start → initialized is a product goal, ≤ 400 ms): httpx is imported by the relay on the
first message, paramiko only with `--ssh`, keyring only when a header names a secret.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from plugboard.core.bridge.url import display_url, url_problem
from plugboard.core.errors import PlugboardError
from plugboard.core.fd_io import write_all
from plugboard.core.launch.status import EXITED, FAILED, RUNNING, STOPPED, ConnectorStatus, write_status
from plugboard.core.logs.connector_log import ConnectorLog

# The first connection of a tunnel: TCP + SSH handshake + auth to a remote host, a few seconds on a bad link.
# We do not wait for it before serving (Claude would time out our start); requests wait for it instead.
TUNNEL_FIRST_UP_S = 15.0


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
    Refuses (`PlugboardError`) an address `remote_url.url_problem` refuses and a header holding a plaintext
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


def tunnelled_url(url: str, local_port: int) -> tuple[str, str]:
    """(URL through the tunnel's local port, the Host header the server expects)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{local_port}")), parts.netloc


def _start_tunnel(profile_name: str, url: str, log: _Notes) -> Any:
    from plugboard.core.secrets.keyring import get_secret
    from plugboard.core.tunnel.profile import load_profile
    from plugboard.core.tunnel.tunnel import Tunnel

    problem = url_problem(url, tunnel=True)
    if problem is not None:
        raise PlugboardError(problem)
    parts = urlsplit(url)
    profile = load_profile(profile_name).with_changes(
        local_port=0, remote_host=parts.hostname or "127.0.0.1", remote_port=parts.port or 80
    )
    tunnel = Tunnel(profile, get_secret=get_secret)
    tunnel.subscribe(lambda state: log(f"tunnel {profile_name}: {state.describe()}"))
    tunnel.start()
    return tunnel


def main(
    name: str,
    url: str,
    *,
    header_specs: list[str],
    bearer_secret: str | None,
    ssh: str | None,
    timeout_s: float | None,
) -> int:
    from plugboard.core.bridge.headers import resolve_headers
    from plugboard.core.bridge.proxy import DEFAULT_REQUEST_TIMEOUT_S, Proxy
    from plugboard.core.secrets.keyring import MissingSecrets

    started = time.time()
    shown_url = display_url(url)
    log = _Notes(name)
    record = ConnectorStatus(
        name=name,
        state=RUNNING,
        command=["proxy", shown_url, *(["--ssh", ssh] if ssh else [])],
        launcher_pid=os.getpid(),
        launcher_started=started,
        started=started,
    )
    refusal: str | None = None
    headers: dict[str, str] = {}
    secret_values: list[str] = []
    try:
        problem = url_problem(url, tunnel=bool(ssh))
        if problem is not None:
            raise PlugboardError(f"the address {shown_url} in Claude's config is refused: {problem}")
        headers, secret_values = resolve_headers(name, header_specs, bearer_secret)
    except MissingSecrets as exc:
        refusal, record.state, record.reason = str(exc), FAILED, exc.reason
    except PlugboardError as exc:
        refusal, record.state, record.reason = str(exc), FAILED, str(exc)
    tunnel = None
    target, host_header = url, None
    if refusal is None and ssh:
        try:
            tunnel = _start_tunnel(ssh, url, log)
        except PlugboardError as exc:
            refusal, record.state, record.reason = f"tunnel {ssh}: {exc}", FAILED, f"tunnel {ssh}: {exc}"
        else:
            if tunnel.local_port is None:
                problem = tunnel.state.describe()
                refusal, record.state, record.reason = f"tunnel {ssh}: {problem}", FAILED, f"tunnel {problem}"
            else:
                target, host_header = tunnelled_url(url, tunnel.local_port)
    if refusal:
        log(f"not relaying: {refusal}")
    else:
        auth = ", ".join(sorted(headers)) or "no extra headers"
        log(f"relaying to {shown_url}{' via tunnel ' + ssh if ssh else ''} ({auth})")
    with contextlib.suppress(OSError, PlugboardError):
        write_status(record)

    def tunnel_hint() -> str | None:
        if tunnel is None:
            return None
        state = tunnel.state
        return None if state.kind == "up" else f"the SSH tunnel {ssh!r} is {state.describe()}"

    def tunnel_ready(timeout: float) -> bool:
        return True if tunnel is None else bool(tunnel.wait_up(timeout))

    proxy = Proxy(
        name,
        target,
        write=lambda data: write_all(1, data),
        log=log,
        headers=headers,
        secret_values=secret_values,
        request_timeout_s=timeout_s or DEFAULT_REQUEST_TIMEOUT_S,
        host_header=host_header,
        refusal=refusal,
        unreachable_hint=tunnel_hint,
        upstream_ready=tunnel_ready if tunnel is not None else None,
    )
    stopped_by: list[int] = []
    cleaning_up: list[bool] = []

    def on_signal(number: int, _frame: object) -> None:
        # Claude (or the user) asks us to stop: unwind out of the stdin read so close() DELETEs the session and
        # the status record says "stopped", instead of dying mid-write. Once the clean-up has begun, only note
        # the signal: raising inside it would cut the DELETE, the tunnel's close and the final status short.
        if stopped_by:
            return  # already unwinding; a second signal must not cut the clean-up short
        stopped_by.append(number)
        if not cleaning_up:
            raise SystemExit(128 + number)

    for name_ in ("SIGTERM", "SIGHUP", "SIGINT"):
        if hasattr(signal, name_):
            signal.signal(getattr(signal, name_), on_signal)
    try:
        # The read loop of `Proxy.run`, here, so the clean-up flag is up before `proxy.close()` starts: a signal
        # before the flag raises inside this `try` (and is caught below), one after it is only recorded.
        for line in iter(sys.stdin.buffer.readline, b""):
            proxy.handle_line(line)
        cleaning_up.append(True)
    except SystemExit:
        if not stopped_by:
            raise
    finally:
        cleaning_up.append(True)
        proxy.close()
        if tunnel is not None:
            tunnel.close()
        if record.state == RUNNING and stopped_by:
            record.state, record.signal = STOPPED, stopped_by[0]
        elif record.state == RUNNING:
            record.state, record.exit_code = EXITED, 0
        record.ended = time.time()
        with contextlib.suppress(OSError, PlugboardError):
            write_status(record)
        log(f"stopped by {signal.Signals(stopped_by[0]).name}" if stopped_by else "stopped: the client closed stdin")
        log.file.close()
    return 128 + stopped_by[0] if stopped_by else 0
