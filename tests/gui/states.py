"""Connectors in the states issue 13 names — working, a missing program, a refused token, a server that prints to
stdout, an unreachable remote, a plaintext token, a broken file — built from the real test servers, shared by the
page tests, the walkthrough and the screenshot script (tests/gui/screenshot_states.py)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

from plugboard.core.clients.catalog import Catalog, load_catalog, read_catalog_data
from plugboard.core.entries import LauncherEntry, ProxyEntry

SERVERS = Path(__file__).resolve().parents[1] / "servers"
KEYED = SERVERS / "keyed_server.py"
GOOD_KEY = "good-key-1234567890"  # tests/servers/keyed_server.py accepts only this one
KEY = "KEYED_API_KEY"
PLAINTEXT_TOKEN = "ghp_plaintextToken0123456789abcdefABCD"
# Words the app never shows in its own text (issue 13); a server's own words in folded details are not ours.
TECHNICAL = ("PATH", "stdout", "stderr", "exit code", "JSON-RPC", " --", "ENOENT", "argv")


def python_entry(script: str, *args: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(SERVERS / script), *args]}


def healthy() -> dict[str, Any]:
    return python_entry("healthy_server.py")


def missing_program() -> dict[str, Any]:
    """A Deno server on a computer without Deno (nobody installs Deno on these machines)."""
    return {"command": "deno", "args": ["run", "--allow-net", "https://example.com/server.ts"]}


def keyed() -> dict[str, Any]:
    """Plugboard's launcher in front of the keyed server, its key from the keychain."""
    return LauncherEntry.new("search", sys.executable, [str(KEYED)], secrets=[KEY]).to_json()


def polluter(folder: Path) -> dict[str, Any]:
    """The stdout polluter, under a name a user's server would have (the list shows the file it runs)."""
    import shutil

    copy = folder / "notes_server.py"
    shutil.copy(SERVERS / "stdout_polluter_server.py", copy)
    return {"command": sys.executable, "args": [str(copy)]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable() -> dict[str, Any]:
    """A bridge to a local port nothing listens on."""
    return ProxyEntry.new("backend", f"http://127.0.0.1:{free_port()}/mcp").to_json()


def plaintext() -> dict[str, Any]:
    return {**python_entry("healthy_server.py"), "env": {"GITHUB_TOKEN": PLAINTEXT_TOKEN}}


def config(servers: dict[str, dict[str, Any]]) -> str:
    return json.dumps({"mcpServers": servers}, indent=2)


TRAILING_COMMA = '{\n  "mcpServers": {\n    "time": {"command": "uvx", "args": ["mcp-server-time"]},\n  }\n}\n'


def keyed_catalog() -> Catalog:
    """The bundled catalog plus an item for the keyed server that names its credential check, as a real item does."""
    data = read_catalog_data()
    data["servers"].append(
        {
            "id": "keyed-search",
            "name": "Keyed search",
            "description": "A search service that needs a key.",
            "runtime": "uv",
            "command": "uvx",
            "args": [str(KEYED)],
            "inputs": [{"id": KEY, "type": "secret", "label": "API key", "env": KEY}],
            "docs": "https://example.com/keyed",
            "check": {"tool": "whoami", "arguments": {}},
        }
    )
    return load_catalog(data)


def visible_texts(widget: Any) -> list[str]:
    """Every text a person can see on `widget` now: labels, buttons, and the list's cells and lines."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    from plugboard.gui.connectors_model import LINE_ROLE

    texts = [w.text() for w in widget.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in widget.findChildren(QAbstractButton) if w.isVisible()]
    model = getattr(widget, "model", None)
    if model is not None:
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                texts.append(str(model.index(row, column).data() or ""))
            texts.append(str(model.index(row, 1).data(LINE_ROLE) or ""))
    return [t for t in texts if t]


def technical_words(widget: Any) -> list[tuple[str, str]]:
    """(word, text) for every technical word shown on `widget` (empty when it speaks plainly)."""
    return [(word, text) for text in visible_texts(widget) for word in TECHNICAL if word in text]
