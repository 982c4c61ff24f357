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
≤ 1 ms, cold start ≤ 400 ms, 200 kB ≤ 1.3× direct. Exit status 1 when a goal is missed. A peer that cannot be
installed or started is reported and left out, never faked.
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


async def measure(url: str, argv: list[str] | None, calls: int, cold_runs: int, big: bool) -> dict[str, float]:
    import anyio

    colds = []
    for _ in range(cold_runs):
        started = time.perf_counter()
        with anyio.fail_after(PEER_START_TIMEOUT_S):
            async with _client(url, argv):
                colds.append((time.perf_counter() - started) * 1000)
    out: dict[str, float] = {"cold_ms": statistics.median(colds)}
    async with _client(url, argv) as client:
        for _ in range(WARMUP_CALLS):
            await client.call_tool("add", {"a": 1, "b": 2})
        times = []
        for i in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("add", {"a": i, "b": 1})
            times.append((time.perf_counter() - started) * 1000)
            assert result.content[0].text == str(i + 1)
        out["p50_ms"] = statistics.median(times)
        out["p95_ms"] = _percentile(times, 0.95)
        if big:
            big_times = []
            for _ in range(BIG_CALLS):
                started = time.perf_counter()
                result = await client.call_tool("big", {"size": BIG_BYTES})
                big_times.append((time.perf_counter() - started) * 1000)
                assert len(result.content[0].text) == BIG_BYTES
            out["big_p50_ms"] = statistics.median(big_times)
    return out


def main() -> int:
    import tempfile

    import anyio

    from servers.http_backend import Backend

    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--cold", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="bridges to run (default: all)")
    args = parser.parse_args()
    install_peers()
    os.environ.setdefault("PLUGBOARD_HOME", tempfile.mkdtemp(prefix="bench-proxy-"))
    results: dict[str, dict[str, float]] = {}
    with Backend("http_mcp.py") as backend:
        for name, argv in bridges(backend.url).items():
            if args.only and name not in args.only:
                continue
            if argv == []:
                print(f"{name:13s} not installed; left out", flush=True)
                continue
            try:
                results[name] = anyio.run(
                    measure, backend.url, argv, args.calls, args.cold, name in ("direct", "plugboard")
                )
            except Exception as exc:  # a peer that breaks is reported, not fatal
                print(f"{name:13s} failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            r = results[name]
            print(
                f"{name:13s} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  cold {r['cold_ms']:7.1f} ms",
                flush=True,
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
