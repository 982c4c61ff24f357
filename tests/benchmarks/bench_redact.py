"""Benchmark: how fast does secret masking run on the launcher's stderr pump and on the log model's lines?

Run: .venv/bin/python tests/benchmarks/bench_redact.py [--mb 64] [--compare OLD_REDACT.py]

`--compare` loads another version of `plugboard/core/logs/redact.py` (e.g. `git show main:desktop/plugboard/core/
logs/redact.py > /tmp/old.py`) and measures both, interleaved, in the same process: before/after on equal terms.

Input: the same kind of stderr as bench_logs.py (lines of ~90 bytes, mixed levels, 1 % carrying a secret), cut
into 64 KiB chunks like `redact.read_redacted` reads them. Measured, best of 3 runs each:

- stream: `StreamRedactor.feed` over the chunks (what the launcher and the supervisor do with a child's stderr), MB/s;
- lines: `Redactor.redact` on each line as text (what `LogModel` does for log sources that bypassed the launcher),
  lines/s;

each with no secret (the floor: the cost of the calls themselves), one secret and five secrets. The run fails if a
secret, or its base64 form, is left in the output of the current version.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from plugboard.core.logs import redact
from plugboard.core.logs.redact import PIPE_READ_CHUNK

SECRETS = [
    "sk_benchSecretValue_4f2a",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "hunter2-correct-horse",
    "xoxb-123456789012-abcdefghijkl",
    "AKIAIOSFODNN7EXAMPLE",
]
RUNS = 3


def make_text(megabytes: int, secret: str) -> bytes:
    levels = ["INFO", "DEBUG", "WARN", "ERROR", "info:", "[debug]"]
    encoded = base64.b64encode(secret.encode()).decode()
    block = []
    for i in range(10_000):
        extra = ""
        if i % 100 == 0:
            extra = f" token={secret}"
        elif i % 100 == 50:
            extra = f" auth={encoded}"
        block.append(
            f"{levels[i % 6]} request {i:05d} handled in {i % 97} ms by worker {i % 8} path=/v1/items{extra}\n"
        )
    data = "".join(block).encode()
    return data * max(1, megabytes * 2**20 // len(data))


def best(measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(RUNS))


def stream_mb_s(redactor: Any, data: bytes) -> tuple[float, bytes]:
    chunks = [data[i : i + PIPE_READ_CHUNK] for i in range(0, len(data), PIPE_READ_CHUNK)]
    out: list[bytes] = []

    def once() -> float:
        out.clear()
        stream = redactor.stream()
        start = time.perf_counter()
        for chunk in chunks:
            out.append(stream.feed(chunk))
        out.append(stream.flush())
        return time.perf_counter() - start

    seconds = best(once)
    return len(data) / seconds / 1e6, b"".join(out)


def lines_per_s(redactor: Any, data: bytes) -> float:
    lines = data.decode().splitlines()[:200_000]

    def once() -> float:
        start = time.perf_counter()
        for line in lines:
            redactor.redact(line)
        return time.perf_counter() - start

    return len(lines) / best(once)


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("redact_compared", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--compare", metavar="REDACT_PY", help="another redact.py to measure beside this one")
    args = parser.parse_args()
    data = make_text(args.mb, SECRETS[0])
    versions = [("current", redact)] + ([("compared", load(args.compare))] if args.compare else [])
    failed = False
    print(f"input: {len(data) / 1e6:.0f} MB of stderr lines, {PIPE_READ_CHUNK // 1024} KiB chunks; best of {RUNS}")
    for label, secrets in (("no secret", []), ("1 secret", SECRETS[:1]), ("5 secrets", SECRETS)):
        for version, module in versions:
            redactor = module.Redactor(secrets)
            rate, out = stream_mb_s(redactor, data)
            per_line = lines_per_s(redactor, data)
            print(f"{label:10} {version:9} stream {rate:8,.0f} MB/s   lines {per_line:12,.0f} lines/s")
            if secrets:
                plain = SECRETS[0].encode()
                encoded = base64.b64encode(plain)
                leaks = [what for what, form in (("itself", plain), ("base64", encoded)) if form in out]
                if leaks:
                    print(f"  the secret is still in the output ({', '.join(leaks)})")
                    failed = failed or module is redact
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
