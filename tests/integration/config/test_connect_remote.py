"""Converting a `{"url": …}` entry into a `plugboard proxy` connector (core/clients/remote_entries.py `connect`)
against the real Secret Service: the token goes to the keychain and into no file (Claude's file, the backup the
conversion makes, older backups), the other connectors' bytes stay, and `plugboard repair` offers the same."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.core.clients.remote_entries import connect
from plugboard.core.config.backups import SCRUBBED
from plugboard.core.config.connectors import Connectors
from plugboard.core.entries import ProxyEntry, parse
from plugboard.core.secrets.keyring import get_secret

TOKEN = "nts_live_8f2a9c1e7b3d4f6a0e5c1234"
API_KEY = "sk-live-0123456789abcdef0123"
URL = "https://notes.example.com/mcp"
FILES = '    "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]},\n'
CONFIG = (
    '{\n  "mcpServers": {\n'
    + FILES
    + f'    "remote-notes": {{"type": "http", "url": "{URL}", "headers": {{"Authorization": "Bearer {TOKEN}"}}}},\n'
    + f'    "surf": {{"serverUrl": "https://surf.example.com/mcp", "headers": {{"X-Api-Key": "{API_KEY}"}}}}\n'
    + '  },\n  "globalShortcut": "Alt+Space"\n}\n'
)

pytestmark = pytest.mark.usefixtures("secret_service")


def files_holding(root: Path, value: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]


@pytest.fixture
def connectors(claude_config: Path) -> Connectors:
    claude_config.write_text(CONFIG)
    found = Connectors.open(str(claude_config))
    # A backup made before the conversion, holding both tokens (the user switched "files" off and on).
    found.disable("files")
    found.enable("files", watch=False)
    assert claude_config.read_text() == CONFIG
    return found


def test_connecting_moves_the_bearer_token_to_the_keychain_and_out_of_every_file(
    connectors: Connectors, claude_config: Path, tmp_path: Path
) -> None:
    outcome = connect(connectors, "remote-notes")
    assert outcome.moved == ["BEARER_TOKEN"] and outcome.missing == []
    assert get_secret("remote-notes", "BEARER_TOKEN") == TOKEN
    entry = json.loads(claude_config.read_text())["mcpServers"]["remote-notes"]
    parsed = parse(entry)
    assert isinstance(parsed, ProxyEntry) and (parsed.url, parsed.bearer_secret) == (URL, "BEARER_TOKEN")
    assert files_holding(tmp_path, TOKEN) == []  # Claude's file, the new backup, the older ones
    assert outcome.scrubbed >= 1
    newest = connectors.backups()[0].path.read_text()
    assert f'"Authorization": "{SCRUBBED}"' in newest and URL in newest
    text = claude_config.read_text()
    assert FILES in text and text.endswith('  "globalShortcut": "Alt+Space"\n}\n')
    assert API_KEY in text  # the other url entry is left exactly as it was
    assert {c.name: c.problem is None for c in connectors.all()} == {"files": True, "remote-notes": True, "surf": False}


def test_plugboard_repair_yes_connects_every_url_entry_with_its_header_secret_in_the_keychain(
    connectors: Connectors, claude_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["repair", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "BEARER_TOKEN to the keyring" in out and "X_API_KEY to the keyring" in out
    assert TOKEN not in out and API_KEY not in out
    assert get_secret("surf", "X_API_KEY") == API_KEY
    surf = parse(json.loads(claude_config.read_text())["mcpServers"]["surf"])
    assert isinstance(surf, ProxyEntry) and surf.headers == ("X-Api-Key: ${secret:X_API_KEY}",)
    assert files_holding(tmp_path, TOKEN) == [] and files_holding(tmp_path, API_KEY) == []
    assert FILES in claude_config.read_text()


def test_declining_the_repair_leaves_the_file_and_the_keychain_untouched(
    connectors: Connectors, claude_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    backups = len(connectors.backups())
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert main(["repair"]) == 1
    assert "Nothing changed." in capsys.readouterr().out
    assert claude_config.read_text() == CONFIG
    assert get_secret("remote-notes", "BEARER_TOKEN") is None
    assert len(connectors.backups()) == backups
