"""`plugboard proxy` (with and without `--ssh`) against a direct client and the bridges users wire by hand, in one run.

Run by hand (installs the peers into tests/benchmarks/.peers/, git-ignored, on first use; the SSH paths start their
own sshd on a free loopback port, as the tests do):

    .venv/bin/python tests/benchmarks/bench_proxy.py [--calls 300] [--cold 7] [--only direct plugboard ...]
    .venv/bin/python tests/benchmarks/bench_proxy.py --no-ssh --no-peers      # quick: direct vs plugboard only
    .venv/bin/python tests/benchmarks/bench_proxy.py --before DESKTOP_DIR     # + the SSH paths from older code

One backend for everyone: tests/servers/http_mcp.py (the `mcp` SDK server, stateful, SSE answers) on a free
loopback port. The client is always the `mcp` SDK's (`mode="legacy"`, the initialize handshake Claude speaks):

- direct: the SDK client over Streamable HTTP, in process (no bridge at all) — the baseline every ratio uses;
- plugboard: `plugboard proxy NAME URL` (the installed console script), stdio;
- plugboard --ssh: `plugboard proxy NAME URL --ssh PROFILE`, the proxy bringing up its own tunnel to the sshd (the
  trader's path end to end);
- sdk via tunnel up: the SDK client through `plugboard tunnel up PROFILE`'s local port (an unmodified client; it
  opens a new connection for every SSE answer, so a new SSH channel per call);
- with `--before DIR` (another checkout's `desktop/` folder, e.g. `git archive main desktop | tar -x -C /tmp/b`):
  "plugboard --ssh (before)" and "sdk via tunnel up (before)", the same paths run from that code, in the same run;
- mcp-remote via ssh -L: `mcp-remote` (npm) through `ssh -N -L` (what people wire by hand for a droplet);
- mcp-proxy (PyPI, its own venv), mcp-remote and supergateway (npm) straight to the backend.

Figures: p50/p95 of `tools/call add` over --calls calls after a warm-up; a 200 kB echo (`echo` with a 200,000-
character argument, so 200 kB each way), p50 of --big-calls; cold start = from spawning the bridge (or, for direct,
opening the client) to the answer of initialize, median of --cold runs. Every path's figures are printed with its
difference and ratio against direct from the same run. Calls are interleaved across paths (round-robin, rotating
order) so the shared machine's changing load hits everyone alike.

Then, through `plugboard proxy` alone, a --huge-mb answer as one SSE event and as JSON (tests/servers/http_faults.py
`huge_sse` / `huge_json`): SSE parsing must be linear (issue 16: 50 MB took 27 s as SSE, 0.85 s as JSON).

Goals (issues 6 and 16): for plugboard, plugboard --ssh and sdk via tunnel up (the trader's setup), p50 ≤ direct +
1 ms and the 200 kB echo ≤ 1.3× direct;
plugboard's cold start ≤ 400 ms; the huge SSE answer within 2× the JSON one. Exit status 1 when a goal is missed. A
peer that is not installed is reported and left out, never faked.

Then a server that speaks only protocol 2026-07-28 (issue 15): tests/servers/modern_mcp.py `--modern-only` (the SDK
2.3 server behind a wrapper that refuses the handshake with HTTP 400 and -32022), the same figures for three paths:
direct (the SDK client in `mode="auto"`: server/discover, then stateless requests), `plugboard proxy` (the client on
stdio speaks the handshake, as Claude Desktop does; the proxy translates) and `mcp-remote --protocol auto` (npm,
0.15.1). Goals: plugboard p50 ≤ direct + 1 ms, and faster than mcp-remote; cold start (spawn → initialize answered,
which for this server is the proxy's server/discover) ≤ 250 ms — measured without OAuth: the issue's figure is with
a stored token, measured by the next part. `--no-modern` leaves this part out, `--no-handshake` the first one.

`--oauth` (run inside the keyring session: `bash scripts/test-session.sh .venv/bin/python …`): tests/servers/
oauth_mcp.py (the SDK's authorization server in front of its dual-era MCP server, which the proxy speaks 2026-07-28
to), signed in once with the headless browser stand-in; then `plugboard proxy NAME URL --oauth` with that stored
sign-in: cold start (spawn → initialize answered: a keyring read, then server/discover with the bearer), median of
--cold, and `tools/call echo` p50/p95. Goal: cold start ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (servers, fixtures)
PEERS = HERE.parent / ".peers"
PLUGBOARD = str(Path(sys.executable).parent / "plugboard")

WARMUP_CALLS = 20
BIG_CHARS = 200_000
# A bridge (or a tunnel) that has not initialized after this long is broken for our purposes.
PEER_START_TIMEOUT_S = 60.0
SSH_PROFILE = "bench"
# The paths the goals are about (the trader's setup: the proxy, the proxy with its own tunnel, an unmodified
# client through `tunnel up`), and those only compared with.
OURS = ("plugboard", "plugboard --ssh", "sdk via tunnel up")
# With --before: the SSH paths again, run from another checkout's code (the "before" of a change, same run).
BEFORE_SUFFIX = " (before)"
CLI_CODE = "import sys; from plugboard.cli import main; sys.exit(main())"


def install_peers() -> None:
    """Install mcp-proxy into its own venv (it pins an mcp SDK of its own) and the npm bridges, once."""
    PEERS.mkdir(exist_ok=True)
    venv = PEERS / "venv"
    if not (venv / "bin" / "mcp-proxy").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "mcp-proxy"], check=False)
    node = PEERS / "node"
    if shutil.which("npm") and not (node / "node_modules" / ".bin" / "supergateway").exists():
        node.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(node), "--no-audit", "--no-fund", "mcp-remote", "supergateway"],
            check=False,
            stdout=subprocess.DEVNULL,
        )


class Ssh:
    """A private sshd on loopback with generated keys, a stored tunnel profile to it, `ssh -L` and `tunnel up`."""

    def __init__(self, work: Path, stack: ExitStack) -> None:
        from fixtures.sshd import SshKeys, SshServer, _keygen
        from plugboard.core.tunnel.profile import TunnelProfile, save_profile

        keys_dir = work / "keys"
        keys_dir.mkdir()
        host_key = _keygen(keys_dir / "host_ed25519", "ed25519")
        client_key = _keygen(keys_dir / "id_ed25519", "ed25519")
        authorized = keys_dir / "authorized_keys"
        authorized.write_text(Path(f"{client_key}.pub").read_text())
        keys = SshKeys(keys_dir, (host_key,), client_key, client_key, client_key, authorized)
        (work / "sshd").mkdir()
        self.server = SshServer(keys, work / "sshd")
        self.server.start()
        stack.callback(self.server.stop)
        self.known = work / "known_hosts"
        self.known.write_text(self.server.known_hosts_line())
        os.environ["PLUGBOARD_USER_KNOWN_HOSTS"] = str(self.known)
        self.key = client_key
        self._stack = stack
        self.profile = TunnelProfile(
            name=SSH_PROFILE,
            host="127.0.0.1",
            port=self.server.port,
            user="root",
            auth="key",
            key_file=str(client_key),
            remote_port=1,  # set per use: the proxy forwards to its URL's port, `tunnel up` to this one
        )
        save_profile(self.profile)

    def _process(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, **kwargs)

        def stop() -> None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

        self._stack.callback(stop)
        return proc

    def openssh_forward(self, remote_port: int) -> int:
        from fixtures.sshd import free_port

        local = free_port()
        self._process(
            [
                "ssh", "-N", "-p", str(self.server.port), "-i", str(self.key), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={self.known}", "-o", "StrictHostKeyChecking=yes",
                "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
                "-L", f"127.0.0.1:{local}:127.0.0.1:{remote_port}", "root@127.0.0.1",
            ],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_port(local)
        return local

    def tunnel_up(self, remote_port: int, code: Path | None = None) -> int:
        """`plugboard tunnel up` on a stored profile pointed at `remote_port`; its local port once up. `code`: another
        checkout's `desktop/` folder to run it from (the "before" of a comparison), under a profile of its own."""
        from plugboard.core.tunnel.profile import save_profile

        name = SSH_PROFILE if code is None else f"{SSH_PROFILE}-before"
        save_profile(self.profile.with_changes(name=name, remote_port=remote_port, local_port=0), replace_existing=True)
        argv, env = [PLUGBOARD, "tunnel", "up", name, "--json"], None
        if code is not None:
            argv = [sys.executable, "-c", CLI_CODE, *argv[1:]]
            env = dict(os.environ, PYTHONPATH=str(code))
        proc = self._process(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            state = json.loads(line)
            if state["state"] == "up":
                return int(state["local_port"])
            if state["state"] in ("failed", "stopped"):
                break
        raise RuntimeError("plugboard tunnel up did not come up")


def _wait_port(port: int, deadline_s: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def paths(
    url: str, ssh: Ssh | None, peers: bool, before: Path | None = None
) -> dict[str, tuple[str, list[str] | None]]:
    """name → (URL for an in-process client, or the stdio bridge's argv); [] = not installed."""
    bin_dir = PEERS / "node" / "node_modules" / ".bin"
    mcp_proxy = PEERS / "venv" / "bin" / "mcp-proxy"
    mcp_remote = bin_dir / "mcp-remote"
    chosen: dict[str, tuple[str, list[str] | None]] = {
        "direct": (url, None),
        "plugboard": (url, [PLUGBOARD, "proxy", "bench", url]),
    }
    if ssh is not None:
        port = int(url.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
        chosen["plugboard --ssh"] = (url, [PLUGBOARD, "proxy", "bench", url, "--ssh", SSH_PROFILE])
        chosen["sdk via tunnel up"] = (f"http://127.0.0.1:{ssh.tunnel_up(port)}/mcp", None)
        if before is not None:
            old = ["env", f"PYTHONPATH={before}", sys.executable, "-c", CLI_CODE]
            chosen["plugboard --ssh" + BEFORE_SUFFIX] = (url, [*old, "proxy", "bench", url, "--ssh", SSH_PROFILE])
            chosen["sdk via tunnel up" + BEFORE_SUFFIX] = (f"http://127.0.0.1:{ssh.tunnel_up(port, before)}/mcp", None)
        forwarded = f"http://127.0.0.1:{ssh.openssh_forward(port)}/mcp"
        remote = [str(mcp_remote), forwarded, "--transport", "http-only"] if mcp_remote.exists() else []
        chosen["mcp-remote via ssh -L"] = (forwarded, remote)
    if peers:
        chosen["mcp-proxy"] = (
            url,
            [str(mcp_proxy), "--transport", "streamablehttp", url] if mcp_proxy.exists() else [],
        )
        chosen["mcp-remote"] = (url, [str(mcp_remote), url, "--transport", "http-only"] if mcp_remote.exists() else [])
        gateway = bin_dir / "supergateway"
        argv = [str(gateway), "--streamableHttp", url, "--logLevel", "none"] if gateway.exists() else []
        chosen["supergateway"] = (url, argv)
    return chosen


def _client(url: str, argv: list[str] | None, direct_mode: str = "legacy") -> Any:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    if argv is None:
        return Client(url, mode=direct_mode)
    passed = (
        "PLUGBOARD_HOME",
        "PLUGBOARD_USER_KNOWN_HOSTS",
        "PATH",
        "HOME",
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
    )
    env = {key: os.environ[key] for key in passed if key in os.environ}
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    return Client(params, mode="legacy")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure_all(
    chosen: dict[str, tuple[str, list[str] | None]],
    calls: int,
    big_calls: int,
    cold_runs: int,
    direct_mode: str = "legacy",
) -> dict[str, dict[str, float]]:
    """Interleaved, so drift in the shared machine's load hits every path alike: cold starts round-robin, then all
    clients open at once and each round makes one call through every path, in a rotating order."""
    import anyio

    colds: dict[str, list[float]] = {name: [] for name in chosen}
    for _ in range(cold_runs):
        for name, (url, argv) in chosen.items():
            started = time.perf_counter()
            with anyio.fail_after(PEER_START_TIMEOUT_S):
                async with _client(url, argv, direct_mode):
                    colds[name].append((time.perf_counter() - started) * 1000)
    times: dict[str, list[float]] = {name: [] for name in chosen}
    big_times: dict[str, list[float]] = {name: [] for name in chosen}
    text = "y" * BIG_CHARS
    async with AsyncExitStack() as stack:
        clients = {name: await stack.enter_async_context(_client(*chosen[name], direct_mode)) for name in chosen}
        for client in clients.values():
            for _ in range(WARMUP_CALLS):
                await client.call_tool("add", {"a": 1, "b": 2})
            await client.call_tool("echo", {"text": text})
        names = list(clients)
        for i in range(max(calls, big_calls)):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                if i < calls:
                    started = time.perf_counter()
                    result = await clients[name].call_tool("add", {"a": i, "b": 1})
                    times[name].append((time.perf_counter() - started) * 1000)
                    assert result.content[0].text == str(i + 1), (name, result)
                if i < big_calls:
                    started = time.perf_counter()
                    result = await clients[name].call_tool("echo", {"text": text})
                    big_times[name].append((time.perf_counter() - started) * 1000)
                    assert result.content[0].text == text, name
    return {
        name: {
            "cold_ms": statistics.median(colds[name]) if colds[name] else 0.0,
            "p50_ms": statistics.median(times[name]),
            "p95_ms": _percentile(times[name], 0.95),
            "big_p50_ms": statistics.median(big_times[name]),
        }
        for name in chosen
    }


def huge_answers(megabytes: int) -> dict[str, float]:
    """Seconds for one answer of `megabytes` through `plugboard proxy`, as one SSE event and as JSON."""
    from servers.http_backend import Backend
    from servers.raw_proxy import RawProxy, call

    size = megabytes * 1_000_000
    seconds: dict[str, float] = {}
    with Backend("http_faults.py") as backend, RawProxy(backend.url) as proxy:
        proxy.handshake()
        for request_id, tool in enumerate(("huge_json", "huge_sse", "huge_json", "huge_sse"), 1):
            began = time.perf_counter()
            proxy.send(call(request_id, tool, size=size))
            answer = proxy.answer(request_id, 300.0)
            took = time.perf_counter() - began
            assert len(answer["result"]["content"][0]["text"]) == size, tool
            seconds[tool] = min(seconds.get(tool, took), took)
        proxy.close()
    return seconds


def modern_paths(url: str, peers: bool) -> dict[str, tuple[str, list[str] | None]]:
    """The 2026-07-28 server's paths: direct (SDK, auto mode), plugboard, mcp-remote --protocol auto."""
    mcp_remote = PEERS / "node" / "node_modules" / ".bin" / "mcp-remote"
    chosen: dict[str, tuple[str, list[str] | None]] = {
        "direct": (url, None),
        "plugboard": (url, [PLUGBOARD, "proxy", "bench-modern", url]),
    }
    if peers:
        argv = [str(mcp_remote), url, "--transport", "http-only", "--protocol", "auto"]
        chosen["mcp-remote --protocol auto"] = (url, argv if mcp_remote.exists() else [])
    return chosen


def _table(results: dict[str, dict[str, float]]) -> None:
    direct = results["direct"]
    print(f"\n{'path':28s} {'p50':>8s} {'p95':>8s} {'200 kB echo':>12s} {'cold':>9s}   vs direct (p50, echo)")
    for name, r in results.items():
        cold = f"{r['cold_ms']:7.0f} ms" if name != "direct" else "   (none)"
        print(
            f"{name:28s} {r['p50_ms']:6.2f} ms {r['p95_ms']:6.2f} ms {r['big_p50_ms']:9.2f} ms {cold}   "
            f"{r['p50_ms'] - direct['p50_ms']:+6.2f} ms, ×{r['big_p50_ms'] / direct['big_p50_ms']:.2f}"
        )


def report_modern(results: dict[str, dict[str, float]]) -> bool:
    print("\nmodern-only server (protocol 2026-07-28; the client on stdio speaks the handshake, as Claude does)")
    _table(results)
    direct, ours = results["direct"], results["plugboard"]
    overhead = ours["p50_ms"] - direct["p50_ms"]
    ok = overhead <= 1.0
    print(f"\nplugboard: p50 {overhead:+.2f} ms over direct (goal ≤ +1 ms)")
    peer = results.get("mcp-remote --protocol auto")
    if peer is not None:
        faster = ours["p50_ms"] < peer["p50_ms"]
        print(
            f"plugboard vs mcp-remote --protocol auto: p50 {ours['p50_ms']:.2f} vs {peer['p50_ms']:.2f} ms "
            f"(×{peer['p50_ms'] / ours['p50_ms']:.2f}), 200 kB echo {ours['big_p50_ms']:.2f} vs "
            f"{peer['big_p50_ms']:.2f} ms, cold {ours['cold_ms']:.0f} vs {peer['cold_ms']:.0f} ms (goal: faster)"
        )
        ok &= faster
    cold = ours["cold_ms"]
    print(f"plugboard cold start, no OAuth token involved: {cold:.0f} ms (goal ≤ 250 ms)")
    ok &= cold <= 250
    return ok


async def measure_oauth(url: str, calls: int, cold_runs: int) -> dict[str, float]:
    """`plugboard proxy … --oauth` with a stored sign-in: cold starts, then echo calls."""
    import anyio

    argv = [PLUGBOARD, "proxy", "bench-oauth", url, "--oauth"]
    colds: list[float] = []
    for _ in range(cold_runs):
        started = time.perf_counter()
        with anyio.fail_after(PEER_START_TIMEOUT_S):
            async with _client(url, argv):
                colds.append((time.perf_counter() - started) * 1000)
    times: list[float] = []
    async with _client(url, argv) as client:
        for i in range(WARMUP_CALLS + calls):
            started = time.perf_counter()
            result = await client.call_tool("echo", {"text": f"call {i}"})
            if i >= WARMUP_CALLS:
                times.append((time.perf_counter() - started) * 1000)
            assert result.content[0].text == f"call {i}", result
    return {"cold_ms": statistics.median(colds), "p50_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95)}


def oauth_part(work: Path, delay: list[str], calls: int, cold_runs: int) -> bool:
    import anyio

    from plugboard.core.bridge.oauth.session import OAuthSession
    from servers.headless_browser import write_browser
    from servers.http_backend import Backend

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("\n--oauth needs the keyring session: bash scripts/test-session.sh .venv/bin/python …; left out")
        return False
    os.environ["BROWSER"] = str(write_browser(work))
    print("\nbackend: oauth_mcp.py (the SDK's authorization server; tokens live an hour), a sign-in stored first")
    with Backend("oauth_mcp.py", "--access-seconds", "3600", *delay) as server:
        session = OAuthSession("bench-oauth", server.url)
        try:
            session.login()
        finally:
            session.close()
        found = anyio.run(measure_oauth, server.url, calls, cold_runs)
    print(
        f"plugboard --oauth, stored sign-in: cold start {found['cold_ms']:.0f} ms (goal ≤ 250 ms); "
        f"echo p50 {found['p50_ms']:.2f} ms, p95 {found['p95_ms']:.2f} ms"
    )
    return found["cold_ms"] <= 250


def report(results: dict[str, dict[str, float]], huge: dict[str, float] | None, huge_mb: int) -> bool:
    direct = results["direct"]
    _table(results)
    ok = True
    print()
    for name in OURS:
        if name not in results:
            continue
        r = results[name]
        overhead, ratio = r["p50_ms"] - direct["p50_ms"], r["big_p50_ms"] / direct["big_p50_ms"]
        met = overhead <= 1.0 and ratio <= 1.3
        print(f"{name}: p50 {overhead:+.2f} ms over direct (goal ≤ +1 ms), 200 kB echo ×{ratio:.2f} (goal ≤ 1.3)")
        ok &= met
    if "plugboard" in results:
        cold = results["plugboard"]["cold_ms"]
        print(f"plugboard cold start: {cold:.0f} ms (goal ≤ 400 ms)")
        ok &= cold <= 400
    if huge is not None:
        ratio = huge["huge_sse"] / huge["huge_json"]
        print(
            f"{huge_mb} MB answer through plugboard proxy: SSE {huge['huge_sse']:.2f} s, JSON {huge['huge_json']:.2f} s "
            f"(×{ratio:.2f}, goal ≤ 2)"
        )
        ok &= ratio <= 2.0
    return ok


def main() -> int:
    import anyio

    from servers.http_backend import Backend

    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--big-calls", type=int, default=50)
    parser.add_argument("--cold", type=int, default=7)
    parser.add_argument("--huge-mb", type=int, default=50, help="0 skips the huge-answer comparison")
    parser.add_argument("--only", nargs="*", help="paths to run (default: all)")
    parser.add_argument("--no-ssh", action="store_true", help="leave out the SSH paths")
    parser.add_argument("--no-peers", action="store_true", help="leave out mcp-proxy, mcp-remote, supergateway")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DESKTOP_DIR",
        help="also the SSH paths run from another checkout's desktop/ folder (e.g. `git archive main desktop`), "
        "named '… (before)'",
    )
    parser.add_argument(
        "--nodelay", action="store_true", help="backend with TCP_NODELAY (default: stock uvicorn, Nagle on)"
    )
    parser.add_argument("--no-handshake", action="store_true", help="leave out the handshake-era server's part")
    parser.add_argument("--no-modern", action="store_true", help="leave out the 2026-07-28 server's part")
    parser.add_argument("--oauth", action="store_true", help="also: the proxy with a stored OAuth sign-in (keyring)")
    args = parser.parse_args()
    if not args.no_peers or not args.no_ssh:
        install_peers()
    work = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    os.environ.setdefault("PLUGBOARD_HOME", str(work / "home"))
    delay = ["--nodelay"] if args.nodelay else []
    ok = True
    try:
        if not args.no_handshake:
            print(f"backend: http_mcp.py, {'TCP_NODELAY' if args.nodelay else 'stock uvicorn (Nagle on)'}")
            with ExitStack() as stack:
                backend = stack.enter_context(Backend("http_mcp.py", *delay))
                ssh = None if args.no_ssh else Ssh(work, stack)
                chosen = _chosen(paths(backend.url, ssh, not args.no_peers, args.before), args.only)
                results = anyio.run(measure_all, chosen, args.calls, args.big_calls, args.cold)
            huge = huge_answers(args.huge_mb) if args.huge_mb else None
            ok &= report(results, huge, args.huge_mb)
        if not args.no_modern:
            print(f"\nbackend: modern_mcp.py --modern-only, {'TCP_NODELAY' if args.nodelay else 'stock uvicorn'}")
            with Backend("modern_mcp.py", "--modern-only", *delay) as modern:
                chosen = _chosen(modern_paths(modern.url, not args.no_peers), args.only)
                results = anyio.run(measure_all, chosen, args.calls, args.big_calls, args.cold, "auto")
            ok &= report_modern(results)
        if args.oauth:
            ok &= oauth_part(work, delay, args.calls, args.cold)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("all goals met" if ok else "a goal was missed")
    return 0 if ok else 1


def _chosen(
    candidates: dict[str, tuple[str, list[str] | None]], only: list[str] | None
) -> dict[str, tuple[str, list[str] | None]]:
    chosen: dict[str, tuple[str, list[str] | None]] = {}
    for name, (url, argv) in candidates.items():
        if only and name not in only and name != "direct":
            continue
        if argv == []:
            print(f"{name:28s} not installed; left out", flush=True)
            continue
        chosen[name] = (url, argv)
    return chosen


if __name__ == "__main__":
    raise SystemExit(main())
