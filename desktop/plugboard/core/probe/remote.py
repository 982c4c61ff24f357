"""A remote MCP server on the user's own machine (a droplet), reached over SSH: checking it end to end, Qt-free.

`check_remote` is the "Test" of the app's Remote connector wizard (and usable from a command): store the key's
passphrase in the keyring, save the tunnel profile, bring the tunnel up once (an unknown host key goes to the
caller's `confirm_host_key`), then run the doctor on exactly the entry that will be written —
`plugboard proxy NAME URL --ssh NAME`, started the way Claude Desktop starts it — and say what it offers, or what
is wrong, in plain words.

Two ways to the server: a new tunnel made from the plan (saved under the connector's name, as before), or a
tunnel the user already has (`RemotePlan.tunnel`: its profile is used as it is, never rewritten, and the entry
says `--ssh THAT-NAME`). A backend that wants an API key gets it through the keychain: the value is stored under
`<connector>/<bearer_key>` and the entry carries `--bearer-secret <bearer_key>` (DESIGN.md's droplet example).

Why the doctor runs the proxy rather than talking to the tunnel directly: the entry is what Claude runs, with the
proxy's own tunnel in its own process; testing it end to end catches what a shortcut would miss (the keyring seen
from a child process, the host key in Plugboard's known_hosts, the proxy's Host header).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from plugboard.core.bridge.run import proxy_entry
from plugboard.core.config.connectors import Connector
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel.hostkeys import KnownHosts, UnknownHostKeyError
from plugboard.core.tunnel.profile import PASSPHRASE_KEY, TunnelProfile, load_profile, save_profile
from plugboard.core.tunnel.state import ProblemKind, StateKind, TunnelState
from plugboard.core.tunnel.tunnel import Tunnel, keyring_secret

DEFAULT_URL = "http://127.0.0.1:5000/mcp"
# The keychain key a backend's API key is kept under when the user gives one (`--bearer-secret API_KEY`).
DEFAULT_BEARER_KEY = "API_KEY"
# Bringing the test tunnel up: TCP connect + SSH handshake + login to a droplet across an ocean takes a few
# seconds; 30 s also covers one quick retry after a dropped first attempt. Time spent in the host-key dialog
# does not count.
TUNNEL_UP_S = 30.0
# The doctor's wait for the proxy's initialize answer. The proxy waits up to 15 s for its own tunnel
# (bridge.run.TUNNEL_FIRST_UP_S) before its first relay, so 30 s is the tunnel plus a slow server start; the
# CLI's doctor waits as long as Claude (60 s), but a wizard that hangs a minute on a typo feels broken.
DOCTOR_INITIALIZE_S = 30.0
# How often the test looks whether a host-key question is still open while waiting for the tunnel.
WAIT_STEP_S = 0.5


def url_problem(url: str) -> str | None:
    """The wizard's check of the MCP address as the SSH host sees it: the one rule, `bridge.url.url_problem`."""
    from plugboard.core.bridge.url import url_problem as problem

    return problem(url, tunnel=True)


@dataclass(frozen=True)
class RemotePlan:
    """What the wizard collected; `passphrase` stays out of repr so it never reaches a log line."""

    name: str
    host: str
    port: int
    user: str
    key_file: str
    url: str
    passphrase: str = field(default="", repr=False)
    tunnel: str | None = None
    """An existing tunnel profile to go through (host, user and key then come from it); None = a new one."""
    bearer_key: str = DEFAULT_BEARER_KEY
    bearer_value: str = field(default="", repr=False)
    """The backend's API key, if it wants one: kept in the keychain, sent as `Authorization: Bearer …`."""

    @property
    def ssh(self) -> str:
        return self.tunnel or self.name

    def profile(self) -> TunnelProfile:
        parts = urlsplit(self.url)
        if self.tunnel is not None:
            # Tested through the user's own tunnel, forwarding to the plan's port (as the proxy will), unsaved.
            return load_profile(self.tunnel).with_changes(
                local_port=0, remote_host=parts.hostname or "127.0.0.1", remote_port=parts.port or 80
            )
        return TunnelProfile(
            name=self.name,
            host=self.host,
            port=self.port,
            user=self.user,
            auth="key",
            key_file=str(Path(self.key_file).expanduser()),
            remote_host=parts.hostname or "127.0.0.1",
            remote_port=parts.port or 80,
        )

    def entry(self) -> dict[str, Any]:
        return proxy_entry(
            self.name, self.url, ssh=self.ssh, bearer_secret=self.bearer_key if self.bearer_value else None
        )


@dataclass
class CheckOutcome:
    ok: bool
    text: str
    tools: list[str] = field(default_factory=list)
    entry: dict[str, Any] | None = None


def _tunnel_trouble(plan: RemotePlan, profile: TunnelProfile, state: TunnelState) -> str:
    problem = state.problem
    where = f"{profile.user}@{profile.host}:{profile.port}"
    if problem is None:
        return f"The tunnel did not come up within {TUNNEL_UP_S:.0f} s ({state.describe()})."
    if problem.kind is ProblemKind.AUTH:
        return (
            f"The server refused the login as {where}: {problem.message}\n"
            "Check the user name, and that this key's .pub line is in ~/.ssh/authorized_keys on the server "
            "(and the passphrase, if the key has one)."
        )
    if problem.kind is ProblemKind.HOSTKEY:
        if "CHANGED" in problem.message:
            return f"Plugboard refused the server because its key changed: {problem.message}"
        return "You did not trust the server's fingerprint, so Plugboard did not log in. Test again to decide anew."
    if problem.kind is ProblemKind.REMOTE:
        return (
            f"The SSH login works, but nothing answers at {plan.url} on the server: {problem.message}\n"
            "Is the MCP server running there, and on that port?"
        )
    if problem.kind is ProblemKind.PORT:
        return f"A local port problem stopped the tunnel: {problem.message}"
    return (
        f"Plugboard cannot reach {profile.host}:{profile.port}: {problem.message}\n"
        "Check the address and the SSH port, and that the server is running."
    )


def check_remote(
    plan: RemotePlan,
    *,
    confirm_host_key: Callable[[UnknownHostKeyError], bool],
    known_hosts: KnownHosts,
    consent_pending: Callable[[], bool],
    progress: Callable[[str], None],
    logs_dir: Path | None = None,
    replace_profile: bool = False,
) -> CheckOutcome:
    """Save the profile, bring its tunnel up once, then run the doctor on the proxy entry. Blocking."""
    from plugboard.core.probe.doctor import examine_connector

    profile = plan.profile()
    if plan.tunnel is None:
        if plan.passphrase:
            progress("Keeping the key's passphrase in the keychain…")
            secrets.set_secret(profile.secret_connector, PASSPHRASE_KEY, plan.passphrase)
        save_profile(profile, replace_existing=replace_profile)
        progress(f"Saved tunnel {profile.name}: {profile.describe()}")
    else:
        progress(f"Using your tunnel {plan.tunnel}: {profile.describe()}")
    if plan.bearer_value:
        progress("Keeping the server's API key in the keychain…")
        secrets.set_secret(plan.name, plan.bearer_key, plan.bearer_value)
    progress(f"Connecting to {profile.user}@{profile.host}:{profile.port}…")
    tunnel = Tunnel(profile, get_secret=keyring_secret, confirm_host_key=confirm_host_key, known_hosts=known_hosts)
    try:
        tunnel.start()
        deadline = time.monotonic() + TUNNEL_UP_S
        while True:
            state = tunnel.wait_for(lambda s: s.kind in (StateKind.UP, StateKind.RECONNECTING) or s.final, WAIT_STEP_S)
            if state.kind in (StateKind.UP, StateKind.RECONNECTING) or state.final:
                break
            if consent_pending():
                deadline = time.monotonic() + TUNNEL_UP_S  # the user is reading the fingerprint
            elif time.monotonic() >= deadline:
                break
    finally:
        tunnel.close()
    if state.kind is not StateKind.UP:
        return CheckOutcome(False, _tunnel_trouble(plan, profile, state))
    progress("The tunnel works.")
    entry = plan.entry()
    progress(f"Starting the connector as Claude Desktop will ({' '.join(entry['args'])}) and asking what it offers…")
    report = examine_connector(
        Connector(plan.name, True, entry), logs_dir=logs_dir, initialize_timeout_s=DOCTOR_INITIALIZE_S
    )
    if report.ok:
        tools = report.tools or []
        listed = ", ".join(tools) if tools else "no tools"
        noun = "tool" if len(tools) == 1 else "tools"
        return CheckOutcome(True, f"It works. The server offers {len(tools)} {noun}: {listed}", tools, entry)
    lines = ["The tunnel works, but the MCP server did not answer through it as it should."]
    lines += [f"{p.summary} {p.fix}" for p in report.problems] or [report.reason.text]
    tail = [line for line in report.stderr_tail if line.strip()][-5:]
    if tail:
        lines.append("Last lines from the connector:")
        lines += [f"  {line}" for line in tail]
    return CheckOutcome(False, "\n".join(lines), report.tools or [], entry)
