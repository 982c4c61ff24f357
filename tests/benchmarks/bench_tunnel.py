"""Plugboard's SSH tunnel against `ssh -N -L` and a direct connection: bulk throughput and MCP call latency.

Run by hand (needs /usr/sbin/sshd; runs it on a free loopback port with generated keys, as the tests do):

    .venv/bin/python tests/benchmarks/bench_tunnel.py [--bulk-mb 200] [--calls 300] [--before DESKTOP_DIR]

Paths compared, each to the same targets behind the same sshd:
- direct: straight to the target port;
- openssh: `ssh -N -L` (OpenSSH client, default ciphers);
- plugboard: a `Tunnel` in its own process (as `plugboard tunnel up` or the proxy would run it);
- plugboard-no-quickack: the same with the TCP_QUICKACK wrapper switched off, to show what it buys (and the same
  with the opt-in `pty_nodelay`);
- plugboard (before), with `--before DIR`: the `Tunnel` run from another checkout's `desktop/` folder (e.g.
  `git archive main desktop | tar -x -C /tmp/before`), the "before" of a change in the same run.

(1) bulk: download N MB from a "blast" target, best of 3 (the paths take turns), MB/s. Goal (issue 5): plugboard ≥
50% of openssh.
(2) MCP: `tools/call add` p50/p95 over many calls after a warm-up, three ways: a minimal client that re-arms
TCP_QUICKACK itself (one keep-alive connection; JSON answers); the mcp SDK client with JSON answers (keep-alive); the
SDK client against bench_proxy.py's server (tests/servers/http_mcp.py, SSE answers), after each of whose answers the
SDK closes its connection — a new connection, so a new channel, per call; beside it, the CPU the forwarding process
spent per call. Goal: plugboard p50 ≤ direct p50 + 1 ms for the minimal client and for the SDK client with SSE
answers.
Exit status 1 when a goal is missed.

`--drops N` runs the recovery benchmark instead (issue 16): `plugboard proxy NAME URL --ssh PROFILE` with the
tunnel's default pacing, continuous `tools/call add` through it, and sshd's session processes killed (SIGKILL) every
`--drop-interval` seconds, N times. Prints the recovery time of each drop (kill → first successful answer after it)
and the calls lost (answered with an error). Goal: every drop recovered within 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve()
# Where the tunnel process of "plugboard (before)" finds its code (set by --before for that process only).
BEFORE_ENV = "BENCH_TUNNEL_CODE"
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (fixtures)
sys.path.insert(0, os.environ.get(BEFORE_ENV) or str(HERE.parents[2] / "desktop"))

WARMUP_CALLS = 20
BULK_RUNS = 3
BEFORE = "plugboard (before)"


# -- a tunnel in its own process ------------------------------------------------------------------------------------


def serve_tunnel(argv: list[str]) -> None:
    """`--serve host port user key remote_port own_known_hosts [--no-quickack]`: print the local port, run until
    stdin closes."""
    from plugboard.core.tunnel import sockets

    if "--no-quickack" in argv:
        argv = [a for a in argv if a != "--no-quickack"]
        sockets._TCP_QUICKACK = None  # benchmark-only switch
    pty_nodelay = "--pty" in argv
    argv = [a for a in argv if a != "--pty"]
    host, port, user, key, remote_port, known = argv
    from plugboard.core.tunnel.hostkeys import KnownHosts
    from plugboard.core.tunnel.profile import TunnelProfile
    from plugboard.core.tunnel.tunnel import Tunnel

    profile = TunnelProfile(
        name="bench",
        host=host,
        port=int(port),
        user=user,
        auth="key",
        key_file=key,
        remote_port=int(remote_port),
        pty_nodelay=pty_nodelay,
    )
    tunnel = Tunnel(profile, known_hosts=KnownHosts(Path(known), user_file=Path(known)))
    tunnel.start()
    if not tunnel.wait_up(30):
        print(f"tunnel did not come up: {tunnel.state.describe()}", file=sys.stderr)
        tunnel.close()
        raise SystemExit(1)
    print(tunnel.local_port, flush=True)
    sys.stdin.read()
    tunnel.close()


class Forward:
    def __init__(self, kind: str, port: int, proc: subprocess.Popen[bytes] | None) -> None:
        self.kind = kind
        self.port = port
        self.proc = proc

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(10)


def wait_port(port: int, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def openssh_forward(sshd: object, remote_port: int, known: Path) -> Forward:
    from fixtures.sshd import free_port

    lport = free_port()
    proc = subprocess.Popen(
        [
            "ssh", "-N", "-p", str(sshd.port), "-i", str(sshd.keys.ed25519),  # type: ignore[attr-defined]
            "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
            "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
            "-L", f"127.0.0.1:{lport}:127.0.0.1:{remote_port}", "root@127.0.0.1",
        ],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    wait_port(lport)
    return Forward("openssh", lport, proc)


def plugboard_forward(
    sshd: object, remote_port: int, known: Path, quickack: bool, *, pty: bool = False, code: Path | None = None
) -> Forward:
    args = [
        sys.executable, str(HERE), "--serve", "127.0.0.1", str(sshd.port), "root",  # type: ignore[attr-defined]
        str(sshd.keys.ed25519), str(remote_port), str(known),  # type: ignore[attr-defined]
    ]  # fmt: skip
    if not quickack:
        args.append("--no-quickack")
    if pty:
        args.append("--pty")
    env = dict(os.environ, **{BEFORE_ENV: str(code)}) if code is not None else None
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    name = "plugboard" if quickack else "plugboard-no-quickack"
    return Forward(name + ("+pty" if pty else ""), int(line), proc)


# -- measurements ---------------------------------------------------------------------------------------------------


def bulk_mb_s(port: int, megabytes: int) -> float:
    """One download of `megabytes` from the blast target through `port`, in MB/s."""
    size = megabytes * 2**20
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 2**20)
        began = time.perf_counter()
        sock.sendall(b"%d\n" % size)
        got = 0
        buf = bytearray(2**20)
        view = memoryview(buf)
        while got < size:
            n = sock.recv_into(view)
            if not n:
                raise RuntimeError(f"short read: {got} of {size}")
            got += n
        elapsed = time.perf_counter() - began
    return size / elapsed / 1e6


class RawMcpClient:
    """A minimal Streamable HTTP MCP client: one keep-alive connection, each request one write, JSON answers.

    Why not only the SDK client: on this Linux box every HTTP client that does not re-arm TCP_QUICKACK sees ~44 ms per
    call even *directly* against uvicorn (the server's second response segment waits for the client's delayed ACK),
    which hides everything a tunnel adds or removes. This client sets TCP_NODELAY and re-arms TCP_QUICKACK after
    every recv, so "direct" is the real floor (< 1 ms) and tunnel overheads show. The SDK client's figures are printed
    beside it for what an unmodified client sees.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.session: str | None = None
        self.buffer = b""

    def _recv(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("server closed the connection")
        self.buffer += data
        if hasattr(socket, "TCP_QUICKACK"):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def post(self, message: dict[str, object]) -> tuple[dict[str, str], bytes]:
        body = json.dumps(message).encode()
        extra = f"Mcp-Session-Id: {self.session}\r\nMCP-Protocol-Version: 2025-06-18\r\n" if self.session else ""
        head = (
            f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: application/json, text/event-stream\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        )
        self.sock.sendall(head.encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._recv()
        raw_head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._recv()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return headers, answer

    def initialize(self) -> None:
        params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
        headers, _ = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
        self.session = headers.get("mcp-session-id")
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call_add(self, i: int) -> None:
        request = {
            "jsonrpc": "2.0",
            "id": i + 1,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": i, "b": 1}},
        }
        _, answer = self.post(request)
        assert json.loads(answer)["result"]["structuredContent"]["result"] == i + 1, answer

    def close(self) -> None:
        self.sock.close()


def _rotations(names: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """(round, name) for every name in every round, the order rotating each round, so that the shared machine's
    changing load hits every path alike."""
    for i in range(rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            yield i, name


def raw_mcp_latencies(ports: dict[str, int], calls: int) -> dict[str, list[float]]:
    clients = {name: RawMcpClient(port) for name, port in ports.items()}
    times: dict[str, list[float]] = {name: [] for name in ports}
    try:
        for client in clients.values():
            client.initialize()
        for i, name in _rotations(list(clients), WARMUP_CALLS + calls):
            began = time.perf_counter()
            clients[name].call_add(i)
            if i >= WARMUP_CALLS:
                times[name].append((time.perf_counter() - began) * 1000)
    finally:
        for client in clients.values():
            client.close()
    return times


async def mcp_latencies(ports: dict[str, int], calls: int) -> dict[str, list[float]]:
    from contextlib import AsyncExitStack

    from mcp import Client

    times: dict[str, list[float]] = {name: [] for name in ports}
    async with AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(Client(f"http://127.0.0.1:{port}/mcp"))
            for name, port in ports.items()
        }
        for i, name in _rotations(list(clients), WARMUP_CALLS + calls):
            began = time.perf_counter()
            result = await clients[name].call_tool("add", {"a": i, "b": 1})
            elapsed = time.perf_counter() - began
            assert not result.is_error, result
            if i >= WARMUP_CALLS:
                times[name].append(elapsed * 1000)
    return times


def _cpu_s(forward: Forward) -> float:
    """CPU seconds used so far by the process doing a forward (the tunnel's, or ssh's)."""
    import psutil

    assert forward.proc is not None
    times = psutil.Process(forward.proc.pid).cpu_times()
    return float(times.user + times.system)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


# Issue 16's recovery goal per drop.
RECOVERY_GOAL_S = 3.0


def drops_benchmark(drops: int, interval_s: float) -> int:
    """Recovery of `plugboard proxy --ssh` from `drops` killed SSH sessions under continuous calls."""
    import signal

    from fixtures.sshd import SshKeys, SshServer, _keygen
    from plugboard.core.tunnel.profile import TunnelProfile, save_profile
    from servers.drops import run_drops
    from servers.http_backend import Backend
    from servers.raw_proxy import RawProxy

    work = Path(tempfile.mkdtemp(prefix="bench-drops-"))
    os.environ["PLUGBOARD_HOME"] = str(work / "home")
    keys_dir = work / "keys"
    keys_dir.mkdir()
    host_key = _keygen(keys_dir / "host_ed25519", "ed25519")
    client_key = _keygen(keys_dir / "id_ed25519", "ed25519")
    authorized = keys_dir / "authorized_keys"
    authorized.write_text(Path(f"{client_key}.pub").read_text())
    (work / "sshd").mkdir()
    sshd = SshServer(SshKeys(keys_dir, (host_key,), client_key, client_key, client_key, authorized), work / "sshd")
    sshd.start()
    known = work / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    os.environ["PLUGBOARD_USER_KNOWN_HOSTS"] = str(known)
    profile = TunnelProfile(
        name="bench",
        host="127.0.0.1",
        port=sshd.port,
        user="root",
        auth="key",
        key_file=str(client_key),
        remote_port=1,  # the proxy forwards to its URL's port
    )
    save_profile(profile)
    try:
        with Backend("http_mcp.py") as backend, RawProxy(backend.url, "--ssh", "bench") as proxy:
            proxy.handshake()
            report = run_drops(proxy, lambda: sshd.signal_sessions(signal.SIGKILL), drops, interval_s)
            proxy.close()
        logins = sshd.log_text().count("Accepted publickey")
    finally:
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("recovery per drop (s): " + " ".join(f"{r:.2f}" for r in report.recoveries_s))
    ordered = sorted(report.recoveries_s)
    print(
        f"{drops} drops {interval_s:g} s apart: recovery median {statistics.median(ordered):.2f} s, "
        f"max {ordered[-1]:.2f} s (goal ≤ {RECOVERY_GOAL_S:g} s); calls {report.calls}, lost {report.lost}; "
        f"SSH logins {logins}"
    )
    for error in sorted(set(report.errors)):
        print(f"  lost: {error}")
    ok = ordered[-1] <= RECOVERY_GOAL_S
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_tunnel(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bulk-mb", type=int, default=200)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--drops", type=int, default=0, help="run the recovery benchmark with this many SSH drops")
    parser.add_argument("--drop-interval", type=float, default=3.0, help="seconds between drops")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DESKTOP_DIR",
        help=f"also the tunnel run from another checkout's desktop/ folder, as '{BEFORE}'",
    )
    args = parser.parse_args()
    if args.drops:
        return drops_benchmark(args.drops, args.drop_interval)

    from fixtures.sshd import SshKeys, SshServer, Target, _keygen, start_target, stop_target
    from servers.http_backend import Backend

    work = Path(tempfile.mkdtemp(prefix="bench-tunnel-"))
    keys_dir = work / "keys"
    keys_dir.mkdir()
    host_key = _keygen(keys_dir / "host_ed25519", "ed25519")
    client_key = _keygen(keys_dir / "id_ed25519", "ed25519")
    authorized = keys_dir / "authorized_keys"
    authorized.write_text(Path(f"{client_key}.pub").read_text())
    keys = SshKeys(keys_dir, (host_key,), client_key, client_key, client_key, authorized)
    (work / "sshd").mkdir()
    sshd = SshServer(keys, work / "sshd")
    sshd.start()
    known = work / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    # The MCP servers get TCP_NODELAY so "direct" is not itself stalled by uvicorn's Nagle (see tunnel_targets.py);
    # what remains through a tunnel is what the tunnel adds.
    targets = {"blast": start_target("blast"), "json": start_target("mcp", "--nodelay")}
    # The SSE answers come from bench_proxy.py's server (the SDK 2.3 server, tests/servers/http_mcp.py), so the two
    # benchmarks' "SDK client through the tunnel" figures compare.
    sse_server = Backend("http_mcp.py", "--nodelay").start()
    targets["sse"] = Target(sse_server.port, sse_server.proc)  # type: ignore[arg-type]
    kinds = ["direct", "openssh", "plugboard", "plugboard-no-quickack", "plugboard-no-quickack+pty"]
    if args.before is not None:
        kinds.insert(3, BEFORE)
    forwards: list[Forward] = []
    ports: dict[str, dict[str, int]] = {}
    sse_forwards: dict[str, Forward] = {}
    try:
        for kind in kinds:
            ports[kind] = {}
            for role, target in targets.items():
                if kind == "direct":
                    forward = Forward(kind, target.port, None)
                elif kind == "openssh":
                    forward = openssh_forward(sshd, target.port, known)
                else:
                    quick = kind in ("plugboard", BEFORE)
                    code = args.before if kind == BEFORE else None
                    forward = plugboard_forward(sshd, target.port, known, quick, pty=kind.endswith("+pty"), code=code)
                forwards.append(forward)
                ports[kind][role] = forward.port
                if role == "sse":
                    sse_forwards[kind] = forward
        bulk = {kind: 0.0 for kind in kinds}
        for _round, kind in _rotations(kinds, BULK_RUNS):
            bulk[kind] = max(bulk[kind], bulk_mb_s(ports[kind]["blast"], args.bulk_mb))
        raw = raw_mcp_latencies({kind: ports[kind]["json"] for kind in kinds}, args.calls)
        sdk = asyncio.run(mcp_latencies({kind: ports[kind]["json"] for kind in kinds}, args.calls))
        cpu_before = {kind: _cpu_s(forward) for kind, forward in sse_forwards.items()}
        sse = asyncio.run(mcp_latencies({kind: ports[kind]["sse"] for kind in kinds}, args.calls))
        sse_cpu_ms = {
            kind: (_cpu_s(forward) - cpu_before[kind]) * 1000 / (WARMUP_CALLS + args.calls)
            for kind, forward in sse_forwards.items()
        }
    finally:
        for forward in forwards:
            forward.close()
        sse_server.stop()
        for role, target in targets.items():
            if role != "sse":
                stop_target(target)
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)

    results: dict[str, dict[str, float]] = {}
    for kind in kinds:
        results[kind] = r = {
            "mb_s": bulk[kind],
            "p50": pct(raw[kind], 50),
            "p95": pct(raw[kind], 95),
            "sdk_p50": pct(sdk[kind], 50),
            "sdk_p95": pct(sdk[kind], 95),
            "sse_p50": pct(sse[kind], 50),
            "sse_p95": pct(sse[kind], 95),
            "sse_cpu_ms": sse_cpu_ms.get(kind, 0.0),
        }
        print(
            f"{kind:>26}: bulk {r['mb_s']:7.1f} MB/s | QUICKACK client p50 {r['p50']:6.2f} p95 {r['p95']:6.2f} ms "
            f"| SDK, JSON p50 {r['sdk_p50']:6.2f} p95 {r['sdk_p95']:6.2f} ms "
            f"| SDK, SSE p50 {r['sse_p50']:6.2f} p95 {r['sse_p95']:6.2f} ms"
            + (f", forward's CPU {r['sse_cpu_ms']:.2f} ms per call" if kind != "direct" else "")
        )
    d, o, p = results["direct"], results["openssh"], results["plugboard"]
    print()
    print(f"bulk: plugboard/openssh = {p['mb_s'] / o['mb_s']:.2f} (goal >= 0.50); plugboard/direct = "
          f"{p['mb_s'] / d['mb_s']:.3f}; openssh/direct = {o['mb_s'] / d['mb_s']:.3f}")  # fmt: skip
    print(f"MCP p50 (QUICKACK client): plugboard - direct = {p['p50'] - d['p50']:+.2f} ms (goal <= +1 ms); "
          f"plugboard/direct = {p['p50'] / d['p50']:.2f}; openssh/direct = {o['p50'] / d['p50']:.2f}; "
          f"no-quickack/direct = {results['plugboard-no-quickack']['p50'] / d['p50']:.2f}")  # fmt: skip
    print(f"MCP p50 (SDK client, SSE answers, a connection per call): plugboard - direct = "
          f"{p['sse_p50'] - d['sse_p50']:+.2f} ms (goal <= +1 ms)")  # fmt: skip
    if BEFORE in results:
        b = results[BEFORE]
        print(f"before → after: bulk {b['mb_s']:.0f} → {p['mb_s']:.0f} MB/s; over direct at p50: QUICKACK client "
              f"{b['p50'] - d['p50']:+.2f} → {p['p50'] - d['p50']:+.2f} ms, SDK JSON "
              f"{b['sdk_p50'] - d['sdk_p50']:+.2f} → {p['sdk_p50'] - d['sdk_p50']:+.2f} ms, SDK SSE "
              f"{b['sse_p50'] - d['sse_p50']:+.2f} → {p['sse_p50'] - d['sse_p50']:+.2f} ms")  # fmt: skip
    print("p95 (QUICKACK client): " + ", ".join(f"{k} {v['p95']:.2f} ms" for k, v in results.items()))
    ok = p["mb_s"] >= 0.5 * o["mb_s"] and p["p50"] <= d["p50"] + 1.0 and p["sse_p50"] <= d["sse_p50"] + 1.0
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
