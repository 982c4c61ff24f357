"""Import and catalog add against the real Secret Service: plaintext secrets end in the keyring, not in any file."""

import io
import json
from pathlib import Path

from plugboard.cli import main
from plugboard.core.secrets import keyring as secrets

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "clients"
CURSOR_SECRETS = {
    ("github", "GITHUB_PERSONAL_ACCESS_TOKEN"): "ghp_cursorSampleToken000000000000000000",
    ("slack", "SLACK_BOT_TOKEN"): "xoxb-1111-2222-cursorSample",
    ("linear", "BEARER_TOKEN"): "lin_api_cursorSampleKey0000000000",
}


def _files_under(*roots):
    return [p for root in roots for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()]


def test_importing_from_cursor_moves_plaintext_secrets_into_the_keyring(
    secret_service, claude_config, isolated_home, capsys
):
    claude_config.write_text('{"mcpServers": {}}')
    assert main(["import", "cursor", str(SAMPLES / "cursor.json"), "--yes"]) == 0
    for (connector, key), value in CURSOR_SECRETS.items():
        assert secrets.get_secret(connector, key) == value
    for path in _files_under(claude_config, isolated_home):
        data = path.read_bytes()
        assert not any(v.encode() in data for v in CURSOR_SECRETS.values()), path
    config = json.loads(claude_config.read_text())["mcpServers"]
    assert config["linear"]["args"][-2:] == ["--bearer-secret", "BEARER_TOKEN"]
    out = capsys.readouterr().out
    assert "plugboard secret set brave BRAVE_API_KEY" in out
    assert not any(v in out for v in CURSOR_SECRETS.values())


def test_importing_a_disabled_windsurf_server_parks_it_and_keeps_its_secret_elsewhere(
    secret_service, claude_config, isolated_home
):
    claude_config.write_text('{"mcpServers": {}}')
    assert main(["import", "windsurf", str(SAMPLES / "windsurf.json"), "--yes", "--json"]) == 0
    assert secrets.get_secret("notion", "NOTION_TOKEN") == "ntn_windsurfSampleToken000000"
    assert secrets.get_secret("figma", "BEARER_TOKEN") == "figd_windsurfSampleToken0000"
    live = json.loads(claude_config.read_text())["mcpServers"]
    assert "git" not in live and {"figma", "notion"} <= set(live)
    for path in _files_under(claude_config, isolated_home):
        assert b"windsurfSampleToken" not in path.read_bytes(), path


def test_catalog_add_reads_the_secret_from_stdin_into_the_keyring(
    secret_service, claude_config, isolated_home, monkeypatch, capsys
):
    # Node.js is installed here (scripts/setup.sh), so the runtime check passes for real.
    value = "ntn_catalogSecret0123456789"
    monkeypatch.setattr("sys.stdin", io.StringIO(value + "\n"))
    assert main(["catalog", "add", "notion"]) == 0
    assert secrets.get_secret("notion", "NOTION_TOKEN") == value
    entry = json.loads(claude_config.read_text())["mcpServers"]["notion"]
    assert entry["args"][:4] == ["run", "notion", "--secret", "NOTION_TOKEN"]
    for path in _files_under(claude_config, isolated_home):
        assert value.encode() not in path.read_bytes(), path
    assert value not in capsys.readouterr().out
