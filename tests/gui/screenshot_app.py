"""Open the real main window on a populated config and save a PNG of each page, in light and in dark.

Run by tests/gui/test_screenshots.py on a real X server (Xvfb) with the xcb platform, and by hand to refresh the
README's pictures (under Xvfb or a desktop), once per scale:

    python tests/gui/screenshot_app.py resources/screenshots                 # 100 %: PAGE-light.png, PAGE-dark.png
    QT_SCALE_FACTOR=2 python tests/gui/screenshot_app.py resources/screenshots --suffix @200
                                                                             # 200 % on a 1366×768 screen

The window opens as a user's would (clamped to the screen), so the 200 % pictures show the narrow layout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

CONFIG = {
    "globalShortcut": "",
    "mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana/Documents"]},
        "github": {
            "command": "/usr/local/bin/plugboard",
            "args": [
                "run",
                "github",
                "--secret",
                "GITHUB_PERSONAL_ACCESS_TOKEN",
                "--",
                "npx",
                "-y",
                "@modelcontextprotocol/server-github",
            ],
        },
        "catalyst": {
            "command": "/usr/local/bin/plugboard",
            "args": [
                "proxy",
                "catalyst",
                "http://127.0.0.1:5000/mcp",
                "--ssh",
                "droplet",
                "--bearer-secret",
                "API_KEY",
            ],
        },
        "time": {"command": "uvx", "args": ["mcp-server-time"]},
        "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]},
    },
}


def main(out: Path, suffix: str = "") -> int:
    home = Path(tempfile.mkdtemp(prefix="plugboard-shots-"))
    os.environ["PLUGBOARD_HOME"] = str(home / "plugboard")
    config = home / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps(CONFIG, indent=2))

    from PySide6.QtWidgets import QApplication

    from plugboard.core.config.connectors import Connectors
    from plugboard.core.launch.status import ConnectorStatus, RunState, write_status
    from plugboard.core.logs.connector_log import ConnectorLog
    from plugboard.gui.main_window import MainWindow

    Connectors.open(str(config)).disable("memory")
    write_status(
        ConnectorStatus(name="github", state=RunState.FAILED, reason="missing secret GITHUB_PERSONAL_ACCESS_TOKEN")
    )
    log = ConnectorLog("github")
    log.write(
        b"INFO GitHub MCP Server running on stdio\nWARNING rate limit at 80%\n"
        b"ERROR github: missing secret GITHUB_PERSONAL_ACCESS_TOKEN in the keyring\n"
    )
    log.close()

    class NotRunning:
        def status(self) -> object:
            return type("Status", (), {"running": False})()

    app = QApplication(sys.argv[:1])
    window = MainWindow(str(config), claude=NotRunning())  # type: ignore[arg-type]
    window.show()
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    for theme in ("light", "dark"):
        window.theme.set_choice(theme)
        for title in window.nav.titles:
            window.show_page(title)
            for _ in range(10):
                app.processEvents()
            name = f"{title.lower()}-{theme}{suffix}.png"
            window.grab().save(str(out / name))
            saved.append(name)
    window.quit()
    print("\n".join(sorted(saved)))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    suffix = args[args.index("--suffix") + 1] if "--suffix" in args else ""
    raise SystemExit(main(Path(args[0]), suffix))
