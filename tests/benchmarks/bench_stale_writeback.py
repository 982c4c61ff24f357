"""Benchmark: connectors lost while a Claude Desktop simulator rewrites its config in a tight loop (issue 16).

Run: .venv/bin/python tests/benchmarks/bench_stale_writeback.py [--toggles 200] [--runs 5]

The simulator (tests/fixtures/claude_simulator.py) writes its in-memory copy back by truncate-then-write as fast
as it can and now and then re-reads the file (a restart); meanwhile Plugboard makes TOGGLES random enable/disable
calls. Printed per run: toggles (and how many were refused with a sentence), Claude's write-backs and restarts,
connectors lost (neither in the file nor kept by Plugboard) and top-level keys lost. Goal: 0 lost. Exits 1 on a loss.
Point PYTHONPATH at another checkout's `desktop` folder to measure that code.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.claude_simulator import main

if __name__ == "__main__":
    raise SystemExit(main())
