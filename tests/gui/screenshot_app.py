"""Open the real main window on a populated config and save a PNG of each page.

Run by tests/gui/test_screenshots.py on a real X server (Xvfb) with the xcb platform, and by hand to refresh the
README's pictures: `python tests/gui/screenshot_app.py resources/screenshots` (under Xvfb or a desktop).
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


def main(out: Path) -> int:
    home = Path(tempfile.mkdtemp(prefix="plugboard-shots-"))
    os.environ["PLUGBOARD_HOME"] = str(home / "plugboard")
    config = home / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps(CONFIG, indent=2))

    from PySide6.QtWidgets import QApplication

    from plugboard.core.config.connectors import Connectors
    from plugboard.core.launch.status import ConnectorStatus, write_status
    from plugboard.core.logs.connector_log import ConnectorLog
    from plugboard.gui.main_window import MainWindow

    Connectors.open(str(config)).disable("memory")
    write_status(ConnectorStatus(name="github", state="failed", reason="missing secret GITHUB_PERSONAL_ACCESS_TOKEN"))
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
    window.resize(1080, 540)
    window.show()
    out.mkdir(parents=True, exist_ok=True)
    for i in range(window.nav.count()):
        title = window.nav.item(i).text()
        window.show_page(title)
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(out / f"{title.lower()}.png"))
    window.quit()
    print("\n".join(sorted(p.name for p in out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
