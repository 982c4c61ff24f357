"""Benchmark: does the core log pipeline keep up with a server writing 50,000 stderr lines per second?

Run: .venv/bin/python tests/benchmarks/bench_logs.py [--lines 1000000]

A child process writes LINES lines (about 90 bytes each, mixed levels, 1 % carrying a secret) to stderr as fast
as the pipe takes them, then a marker line, then exits. Two consumers read the same output:

- baseline: raw line reading — `os.read` of the pipe and `bytes.split(b"\\n")`, counting lines; nothing else.
- pipeline: the real thing — a `Supervisor` (stderr pump: stream redaction, the `.supervised.log` file with its
  rotation, line splitting, level parsing, `LogLine` objects, the stderr tail) delivering `LogBatch` events to a
  subscribed `LogModel` (ring buffer, capacity `log_model.DEFAULT_CAPACITY`).

Printed: sustained lines/s of each (first line to marker), the ratio pipeline/baseline, the process RSS after the
pipeline run and the ring buffer's line count and approximate bytes, and whether the pipeline clears 50,000
lines/s. The child is the producer for both, so a slow producer would show as a low baseline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from plugboard.core.logs.model import LogModel
from plugboard.core.probe import supervisor as sv
from plugboard.core.probe.supervisor import LogBatch

TARGET_LINES_PER_S = 50_000
MARKER = "bench-logs-done"
SECRET = "sk_benchSecretValue_4f2a"
# The benchmark's own budget for either consumer to see the marker; a run far beyond it is a failure anyway.
RUN_DEADLINE_S = 300.0

PRODUCER = r"""
import os, sys
lines, secret, marker = int(sys.argv[1]), sys.argv[2], sys.argv[3]
levels = ["INFO", "DEBUG", "WARN", "ERROR", "info:", "[debug]"]
block = []
for i in range(10_000):
    extra = f" token={secret}" if i % 100 == 0 else ""
    block.append(f"{levels[i % 6]} request {i:05d} handled in {i % 97} ms by worker {i % 8} path=/v1/items{extra}\n")
data = "".join(block).encode()
fd = sys.stderr.fileno()
full, rest = divmod(lines, 10_000)
for _ in range(full):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
tail = "".join(block[:rest]).encode() + (marker + "\n").encode()
view = memoryview(tail)
while view:
    view = view[os.write(fd, view):]
"""


def baseline(lines: int) -> tuple[float, int]:
    """Raw line reading of the producer's stderr: (lines/s, lines counted)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(lines), SECRET, MARKER],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    count = 0
    partial = b""
    first: float | None = None
    while True:
        chunk = os.read(fd, 64 * 1024)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter()
        parts = (partial + chunk).split(b"\n")
        partial = parts.pop()
        count += len(parts)
    end = time.perf_counter()
    proc.wait(RUN_DEADLINE_S)
    proc.stderr.close()
    assert first is not None
    return count / (end - first), count


def pipeline(lines: int, home: Path) -> tuple[float, int, LogModel]:
    """The supervisor's stderr pump into a LogModel: (lines/s, lines in the model's total, the model)."""
    os.environ["PLUGBOARD_HOME"] = str(home)
    spec = sv.ServerSpec("bench", sys.executable, ["-c", PRODUCER, str(lines), SECRET, MARKER], secrets=["BENCH_TOKEN"])
    supervisor = sv.Supervisor(spec, initialize_timeout_s=RUN_DEADLINE_S, get_secret=lambda _c, _k: SECRET)
    model = LogModel("bench", redactor=None)
    done = threading.Event()
    stamps: dict[str, float] = {}

    def on_event(event: object) -> None:
        if isinstance(event, LogBatch) and event.lines and event.lines[0].stream == "stderr":
            stamps.setdefault("first", time.perf_counter())
            model.append(event.lines)
            if event.lines[-1].text == MARKER:
                stamps["last"] = time.perf_counter()
                done.set()

    supervisor.subscribe(on_event)
    supervisor.start()
    try:
        if not done.wait(RUN_DEADLINE_S):
            raise SystemExit(f"the pipeline did not see the marker within {RUN_DEADLINE_S:.0f} s")
    finally:
        supervisor.stop()
    leaked = sum(SECRET in ln.text for ln in model.lines())
    if leaked:
        raise SystemExit(f"{leaked} lines in the ring buffer still carry the secret")
    return model.total / (stamps["last"] - stamps["first"]), model.total, model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    rss_before = psutil.Process().memory_info().rss
    base_rate, base_count = baseline(args.lines)
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as home:
        rate, count, model = pipeline(args.lines, Path(home))
        rss_after = psutil.Process().memory_info().rss
        log_dir = Path(home) / "logs"
        on_disk = sum(p.stat().st_size for p in log_dir.iterdir())
    print(f"lines written by the server:        {args.lines:,} (+1 marker)")
    print(f"baseline, raw line reading:         {base_rate:,.0f} lines/s ({base_count:,} lines)")
    print(f"pipeline, supervisor -> LogModel:   {rate:,.0f} lines/s ({count:,} lines)")
    print(f"ratio pipeline / baseline:          {rate / base_rate:.3f}")
    print(f"RSS after 1M lines:                 {rss_after / 2**20:.1f} MiB (before: {rss_before / 2**20:.1f} MiB)")
    print(f"ring buffer:                        {len(model):,} lines, ~{model.approximate_bytes() / 2**20:.1f} MiB")
    print(f"supervised log on disk (rotated):   {on_disk / 2**20:.1f} MiB")
    verdict = "keeps up" if rate >= TARGET_LINES_PER_S else "DOES NOT keep up"
    print(f"target {TARGET_LINES_PER_S:,} lines/s:              {verdict} ({rate / TARGET_LINES_PER_S:.1f}x)")
    return 0 if rate >= TARGET_LINES_PER_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
