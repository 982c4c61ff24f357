"""What `plugboard run` adds to a server's start: time to the first `initialize` response, through the launcher
versus spawning the server directly; the launcher from the source install (.venv) and, with `--bundle`, from the
frozen bundle (packaging/, issue 12).

    .venv/bin/python tests/benchmarks/bench_launcher.py            (20 runs of each)
    .venv/bin/python tests/benchmarks/bench_launcher.py --runs 50 --secret
    .venv/bin/python tests/benchmarks/bench_launcher.py --bundle dist/plugboard      (or /opt/plugboard)

The server is tests/servers/env_server.py (a real `mcp`-SDK stdio server). Runs rotate direct / source / bundle so
drift in machine load hits all alike. Each run: spawn, write one `initialize` request, read until its response line,
close stdin, wait for exit. With `--secret`, the launcher also reads one secret from the keyring (run inside
scripts/test-session.sh), which adds importing `keyring` and one D-Bus round trip.

Prints each median, each launcher's median difference from direct and its ratio; exits 1 when a difference exceeds
the budget (DESIGN: ≤ 100 ms median).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "servers" / "env_server.py"
BUDGET_MS = 100.0
# One server start with the SDK imported is ~0.3–1 s here; 30 s means something is broken, not slow.
RESPONSE_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 10.0

INITIALIZE = (
    json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        }
    )
    + "\n"
).encode()


def plugboard_exe() -> str:
    exe = Path(sys.executable).parent / ("plugboard.exe" if os.name == "nt" else "plugboard")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: pip install -e . in this venv first")
    return str(exe)


def time_to_initialize(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(INITIALIZE)
        proc.stdin.flush()
        buffer = b""
        deadline = started + RESPONSE_TIMEOUT_S
        while b"\n" not in buffer:
            left = deadline - time.perf_counter()
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, left))
            if not ready:
                raise SystemExit(f"no initialize response from {argv} within {RESPONSE_TIMEOUT_S} s")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit(f"{argv} closed stdout before answering initialize")
            buffer += chunk
        elapsed = time.perf_counter() - started
        response = json.loads(buffer.split(b"\n", 1)[0])
        if response.get("id") != 1 or "result" not in response:
            raise SystemExit(f"unexpected answer: {response}")
        return elapsed
    finally:
        proc.stdin.close()
        try:
            proc.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--secret", action="store_true", help="also fetch one secret from the keyring")
    parser.add_argument("--bundle", type=Path, help="a built bundle folder (holding the `plugboard` executable)")
    parser.add_argument("--no-source", action="store_true", help="measure the bundle only (no .venv here)")
    opts = parser.parse_args()

    env = dict(os.environ)
    home = tempfile.mkdtemp(prefix="plugboard-bench-")
    env["PLUGBOARD_HOME"] = home
    direct = [sys.executable, str(SERVER)]
    words = ["run", "bench"]
    if opts.secret:
        os.environ["PLUGBOARD_HOME"] = home
        from plugboard.core.secrets.keyring import set_secret

        set_secret("bench", "BENCH_TOKEN", "bench-value-not-secret")
        words += ["--secret", "BENCH_TOKEN"]
    words += ["--", *direct]
    cases: dict[str, list[str]] = {"direct": direct}
    if not opts.no_source:
        cases["source"] = [plugboard_exe(), *words]
    if opts.bundle:
        exe = opts.bundle / ("plugboard.exe" if os.name == "nt" else "plugboard")
        if not exe.exists():
            raise SystemExit(f"{exe} not found: build the bundle first (packaging/linux/build.sh)")
        cases["bundle"] = [str(exe), *words]

    # One unmeasured run of each warms the page cache (interpreter, SDK, our modules).
    for argv in cases.values():
        time_to_initialize(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(opts.runs):
        for name, argv in cases.items():
            times[name].append(time_to_initialize(argv, env))
    if opts.secret:
        from plugboard.core.secrets.keyring import delete_secret

        delete_secret("bench", "BENCH_TOKEN")

    print(f"runs: {opts.runs} each, interleaved{' (launcher reads 1 secret)' if opts.secret else ''}")
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<8} median {medians[name]:7.1f} ms  (min {min(t) * 1000:.1f}, max {max(t) * 1000:.1f})")
    within = True
    d_med = medians["direct"]
    for name in [n for n in cases if n != "direct"]:
        paired = statistics.median((b - a) * 1000 for a, b in zip(times["direct"], times[name], strict=True))
        overhead = medians[name] - d_med
        within = within and overhead <= BUDGET_MS
        print(
            f"{name:<8} overhead {overhead:+.1f} ms (median of paired differences {paired:+.1f} ms), "
            f"ratio {medians[name] / d_med:.3f}"
        )
    if "source" in medians and "bundle" in medians:
        print(f"bundle vs source: {medians['bundle'] - medians['source']:+.1f} ms")
    print(f"budget {BUDGET_MS:.0f} ms over direct: {'met' if within else 'MISSED'}")
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
