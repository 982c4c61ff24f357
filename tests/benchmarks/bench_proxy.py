"""`plugboard proxy` against a direct HTTP client and the bridges users wire by hand, in one run.

Run by hand (installs the peers into tests/benchmarks/.peers/, git-ignored, on first use):

    .venv/bin/python tests/benchmarks/bench_proxy.py [--calls 300] [--cold 7]

One backend for everyone: tests/servers/http_mcp.py (the `mcp` SDK server, stateful, SSE answers) on a free
loopback port. The client is always the `mcp` SDK's (`mode="legacy"`, the initialize handshake Claude speaks):

- direct: the SDK client over Streamable HTTP, in process (no bridge at all);
- plugboard: `plugboard proxy NAME URL` (the installed console script), stdio;
- mcp-proxy (PyPI, its own venv): `mcp-proxy --transport streamablehttp URL`;
- mcp-remote (npm): `mcp-remote URL --transport http-only`;
- supergateway (npm): `supergateway --streamableHttp URL`.

Figures: p50/p95 of `tools/call add` over --calls calls after a warm-up; cold start = from spawning the bridge (or,
for direct, opening the client) to the answer of initialize, median of --cold runs; and a 200 kB tool result,
p50 through plugboard vs direct. Goals (issue 6): plugboard faster than every peer, p50 overhead over direct
≤ 1 ms, cold start ≤ 400 ms, 200 kB ≤ 1.3× direct. Exit status 1 when a goal is missed. A peer that is not
installed is reported and left out, never faked. Calls are interleaved across bridges (round-robin, rotating
order) so the shared machine's changing load does not favour whoever ran in a quiet minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (servers)
PEERS = HERE.parent / ".peers"
PLUGBOARD = str(Path(sys.executable).parent / "plugboard")

WARMUP_CALLS = 20
BIG_BYTES = 200_000
BIG_CALLS = 50
# A bridge that has not initialized after this long is broken for our purposes.
PEER_START_TIMEOUT_S = 60.0


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


def bridges(url: str) -> dict[str, list[str] | None]:
    bin_dir = PEERS / "node" / "node_modules" / ".bin"
    mcp_proxy = PEERS / "venv" / "bin" / "mcp-proxy"
    return {
        "direct": None,
        "plugboard": [PLUGBOARD, "proxy", "bench", url],
        "mcp-proxy": [str(mcp_proxy), "--transport", "streamablehttp", url] if mcp_proxy.exists() else [],
        "mcp-remote": [str(bin_dir / "mcp-remote"), url, "--transport", "http-only"]
        if (bin_dir / "mcp-remote").exists()
        else [],
        "supergateway": [str(bin_dir / "supergateway"), "--streamableHttp", url, "--logLevel", "none"]
        if (bin_dir / "supergateway").exists()
        else [],
    }


def _client(url: str, argv: list[str] | None) -> Any:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    if argv is None:
        return Client(url, mode="legacy")
    env = {"PLUGBOARD_HOME": os.environ["PLUGBOARD_HOME"], "PATH": os.environ.get("PATH", "")}
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    return Client(params, mode="legacy")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure_all(
    url: str, chosen: dict[str, list[str] | None], calls: int, cold_runs: int
) -> dict[str, dict[str, float]]:
    """Interleaved, so drift in the shared machine's load hits every bridge alike: cold starts round-robin, then all
    clients open at once and each round makes one call through every bridge, in a rotating order."""
    from contextlib import AsyncExitStack

    import anyio

    colds: dict[str, list[float]] = {name: [] for name in chosen}
    for _ in range(cold_runs):
        for name, argv in chosen.items():
            started = time.perf_counter()
            with anyio.fail_after(PEER_START_TIMEOUT_S):
                async with _client(url, argv):
                    colds[name].append((time.perf_counter() - started) * 1000)
    times: dict[str, list[float]] = {name: [] for name in chosen}
    big_times: dict[str, list[float]] = {name: [] for name in chosen if name in ("direct", "plugboard")}
    async with AsyncExitStack() as stack:
        clients = {name: await stack.enter_async_context(_client(url, argv)) for name, argv in chosen.items()}
        for client in clients.values():
            for _ in range(WARMUP_CALLS):
                await client.call_tool("add", {"a": 1, "b": 2})
        names = list(clients)
        for i in range(calls):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter()
                result = await clients[name].call_tool("add", {"a": i, "b": 1})
                times[name].append((time.perf_counter() - started) * 1000)
                assert result.content[0].text == str(i + 1)
        for i in range(BIG_CALLS):
            for name in sorted(big_times, reverse=bool(i % 2)):
                started = time.perf_counter()
                result = await clients[name].call_tool("big", {"size": BIG_BYTES})
                big_times[name].append((time.perf_counter() - started) * 1000)
                assert len(result.content[0].text) == BIG_BYTES
    out: dict[str, dict[str, float]] = {}
    for name in chosen:
        out[name] = {
            "cold_ms": statistics.median(colds[name]),
            "p50_ms": statistics.median(times[name]),
            "p95_ms": _percentile(times[name], 0.95),
        }
        if name in big_times:
            out[name]["big_p50_ms"] = statistics.median(big_times[name])
    return out


def main() -> int:
    import tempfile

    import anyio

    from servers.http_backend import Backend

    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--cold", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="bridges to run (default: all)")
    parser.add_argument(
        "--nodelay", action="store_true", help="backend with TCP_NODELAY (default: stock uvicorn, Nagle on)"
    )
    args = parser.parse_args()
    install_peers()
    os.environ.setdefault("PLUGBOARD_HOME", tempfile.mkdtemp(prefix="bench-proxy-"))
    print(f"backend: http_mcp.py, {'TCP_NODELAY' if args.nodelay else 'stock uvicorn (Nagle on)'}")
    with Backend("http_mcp.py", *(["--nodelay"] if args.nodelay else [])) as backend:
        chosen: dict[str, list[str] | None] = {}
        for name, argv in bridges(backend.url).items():
            if args.only and name not in args.only:
                continue
            if argv == []:
                print(f"{name:13s} not installed; left out", flush=True)
                continue
            chosen[name] = argv
        results = anyio.run(measure_all, backend.url, chosen, args.calls, args.cold)
    for name, r in results.items():
        print(
            f"{name:13s} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  cold {r['cold_ms']:7.1f} ms", flush=True
        )
    direct, ours = results.get("direct"), results.get("plugboard")
    if not direct or not ours:
        print("direct or plugboard missing: no verdict")
        return 1
    ok = True
    overhead = ours["p50_ms"] - direct["p50_ms"]
    big_ratio = ours["big_p50_ms"] / direct["big_p50_ms"]
    print(f"\nplugboard p50 overhead over direct: {overhead:+.2f} ms (goal ≤ 1 ms)")
    print(f"plugboard cold start: {ours['cold_ms']:.0f} ms (goal ≤ 400 ms)")
    print(
        f"200 kB result p50: plugboard {ours['big_p50_ms']:.2f} ms, direct {direct['big_p50_ms']:.2f} ms, ×{big_ratio:.2f} (goal ≤ 1.3)"
    )
    ok &= overhead <= 1.0 and ours["cold_ms"] <= 400 and big_ratio <= 1.3
    for name, r in results.items():
        if name in ("direct", "plugboard"):
            continue
        print(
            f"vs {name}: p50 ×{r['p50_ms'] / ours['p50_ms']:.2f} slower, overhead {r['p50_ms'] - direct['p50_ms']:+.2f} ms,"
            f" cold ×{r['cold_ms'] / ours['cold_ms']:.2f}"
        )
        ok &= r["p50_ms"] > ours["p50_ms"] and r["cold_ms"] > ours["cold_ms"]
    print("all goals met" if ok else "a goal was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
