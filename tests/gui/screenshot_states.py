"""Screenshots of the Connectors page in each state issue 13 names, made from the real page with real test servers.

    bash scripts/test-session.sh .venv/bin/python tests/gui/screenshot_states.py resources/screenshots

(the test session gives it a throwaway keychain; `QT_QPA_PLATFORM=offscreen` is the default here, or run it under
Xvfb). Each state gets its own Plugboard home and Claude file in a temporary folder, the page runs its real Test,
and the picture is taken when the page has settled. Files: `connectors-<state>.png`, and `connectors-narrow.png`
at 640×340 (a 1366×768 screen at 200 %, less the window's frame and header).

tests/gui/test_screenshot_states.py runs this script and checks the pictures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `gui.states` when run as a script

# Settling: a Test starts a Python server in about a second here; 90 s bounds a stuck one.
SETTLE_S = 90.0
SIZE = (900, 430)
NARROW = (640, 340)


class NotRunning:
    def status(self) -> Any:
        return type("Status", (), {"running": False})()


def wait(app: Any, done: Callable[[], bool], timeout: float = SETTLE_S) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("the page did not settle in time")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(10):
        app.processEvents()


def main(out: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from gui import states

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    made: list[str] = []

    def page_for(config_text: str, before: Callable[[Path], None] | None = None) -> Any:
        from plugboard.core.config.connectors import Connectors
        from plugboard.gui.connectors_page import ConnectorsPage

        home = Path(tempfile.mkdtemp(prefix="plugboard-states-"))
        os.environ["PLUGBOARD_HOME"] = str(home / "plugboard")
        config = home / "Claude" / "claude_desktop_config.json"
        config.parent.mkdir(parents=True)
        config.write_text(config_text)
        if before is not None:
            before(home)
        page = ConnectorsPage(Connectors.open(str(config)), NotRunning())  # type: ignore[arg-type]
        page.resize(*SIZE)
        page.show()
        wait(app, lambda: page.claude_known)
        return page

    def shoot(page: Any, name: str) -> None:
        wait(app, lambda: page.testing is None and not page.tests and not page.busy())
        page.grab().save(str(out / f"connectors-{name}.png"))
        made.append(f"connectors-{name}.png")
        page.shutdown()
        page.close()

    def tested(page: Any, name: str) -> None:
        page.select(name)
        page.test_connector(name)
        wait(app, lambda: page.testing is None and not page.tests and page.card.name == name)

    tmp = Path(tempfile.mkdtemp(prefix="plugboard-servers-"))
    everything = {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana/Documents"]},
        "healthy": states.healthy(),
        "deno-tool": states.missing_program(),
        "notes": states.polluter(tmp),
        "backend": states.unreachable(),
    }

    page = page_for(states.config(everything))
    for name in ("healthy", "notes", "backend", "deno-tool"):
        tested(page, name)
    page.select("deno-tool")
    shoot(page, "overview")

    page = page_for(states.config({"healthy": states.healthy()}))
    tested(page, "healthy")
    page.card.details_button.setChecked(True)
    shoot(page, "working")

    page = page_for(states.config({"deno-tool": states.missing_program(), "healthy": states.healthy()}))
    tested(page, "deno-tool")
    shoot(page, "missing-program")

    from plugboard.core.secrets.keyring import set_secret

    page = page_for(states.config({"search": states.keyed(), "healthy": states.healthy()}))
    set_secret("search", states.KEY, "a-made-up-key-000000")
    page.catalog = states.keyed_catalog()
    tested(page, "search")
    shoot(page, "refused-token")

    page = page_for(states.config({"notes": states.polluter(tmp), "healthy": states.healthy()}))
    tested(page, "notes")
    shoot(page, "stdout-polluter")

    page = page_for(states.config({"backend": states.unreachable(), "healthy": states.healthy()}))
    tested(page, "backend")
    shoot(page, "unreachable-remote")

    page = page_for(states.config({"github": states.plaintext(), "healthy": states.healthy()}))
    shoot(page, "plaintext-token")

    page = page_for(states.TRAILING_COMMA)
    shoot(page, "broken-file")

    page = page_for('{"mcpServers": {}}')
    shoot(page, "empty")

    page = page_for(states.config(everything))
    page.resize(*NARROW)
    wait(app, lambda: page.bar.more.isVisible())
    shoot(page, "narrow")

    print("\n".join(made))
    return 0


if __name__ == "__main__":
    code = main(Path(sys.argv[1]))
    sys.stdout.flush()
    # Leave without the interpreter's final garbage collection: with many closed top-level widgets PySide6 6.x can
    # abort there ("bool_dealloc: deallocating True or False"), after every picture is saved. Nothing is left to do.
    os._exit(code)
