"""A server that opens its settings by a relative path, so it works from its own folder and crashes in `/`.

Claude Desktop may start servers with working directory `/` (FACTS.md §A 7). This one reads
`RELATIVE_SETTINGS` relative to the working directory; when that fails Python prints the traceback ending in
`FileNotFoundError: [Errno 2] No such file or directory: 'settings/relative_server.json'` and exits 1.

Run: python tests/servers/relative_path_server.py
"""

from __future__ import annotations

import json
from pathlib import Path

RELATIVE_SETTINGS = "settings/relative_server.json"


def main() -> None:
    with open(RELATIVE_SETTINGS, encoding="utf-8") as handle:  # the bug under test: relative to the cwd
        json.load(handle)
    raise SystemExit(f"unexpected: found {Path(RELATIVE_SETTINGS).resolve()}")


if __name__ == "__main__":
    main()
