"""Remote servers that sign in with OAuth, across other clients' files: import reads the formats that mark them
(VS Code's and Claude Code's `oauth`, Cursor's `auth`, our shareable `oauth`) as `plugboard proxy … --oauth`, and
export writes each format's marker back; formats without one (Windsurf, Cline, LM Studio) stay plain remotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugboard.core.clients.exporting import export_connectors, write_export
from plugboard.core.clients.formats import servers_in
from plugboard.core.clients.importing import CONFLICT, SAME, build_entry, preview_import
from plugboard.core.config.connectors import Connectors
from plugboard.core.entries import ProxyEntry, parse

EXE = "/opt/plugboard/bin/plugboard"
URL = "https://notes.example.com/mcp"


@pytest.fixture(autouse=True)
def same_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plugboard.core.install.entry_command", lambda: EXE)


def imported(client_id: str, raw: dict[str, Any]) -> tuple[ProxyEntry, list[str]]:
    key = "servers" if client_id == "vscode" else "mcpServers"
    (server,) = servers_in(client_id, {key: {"notes": raw}})
    kind, entry, secrets, _ask, notes = build_entry("notes", server)
    parsed = parse(entry)
    assert kind == "remote" and isinstance(parsed, ProxyEntry) and secrets == {}
    return parsed, notes


def test_cursors_static_oauth_becomes_oauth_with_its_client_id_and_scopes() -> None:
    raw = {
        "url": URL,
        "auth": {"CLIENT_ID": "app-1", "CLIENT_SECRET": "${env:SECRET}", "scopes": ["notes:read", "offline_access"]},
    }

    entry, notes = imported("cursor", raw)

    assert entry.to_json()["args"][3:] == ["--oauth", "--client-id", "app-1", "--scope", "notes:read offline_access"]
    assert any("client secret is not carried over" in n for n in notes)
    assert any("plugboard login notes" in n for n in notes)
    assert not any("auth is not supported" in n for n in notes)


def test_vscodes_oauth_client_id_becomes_oauth() -> None:
    entry, _notes = imported("vscode", {"type": "http", "url": URL, "oauth": {"clientId": "1234.5678"}})

    assert (entry.oauth, entry.client_id, entry.scope) == (True, "1234.5678", None)


def test_claude_codes_oauth_keeps_client_id_and_scopes_and_names_what_it_drops() -> None:
    raw = {"type": "http", "url": URL, "oauth": {"clientId": "cc", "scopes": "a b", "callbackPort": 8080}}

    entry, notes = imported("claude-code", raw)

    assert (entry.client_id, entry.scope) == ("cc", "a b")
    assert any("callback port is not kept" in n for n in notes)


def test_a_marker_without_a_client_id_still_signs_in_and_a_referenced_id_is_left_to_registration() -> None:
    plain, _ = imported("shareable", {"url": URL, "oauth": {}})
    referenced, notes = imported("cursor", {"url": URL, "auth": {"CLIENT_ID": "${env:NOTES_CLIENT}"}})

    assert plain.oauth and plain.client_id is None
    assert referenced.oauth and referenced.client_id is None
    assert any("refers to a value kept elsewhere" in n for n in notes)


def test_an_authorization_header_beside_an_oauth_marker_is_left_out() -> None:
    raw = {"url": URL, "headers": {"Authorization": "Bearer ${env:T}", "X-Team": "blue"}, "auth": {"CLIENT_ID": "a"}}

    entry, notes = imported("cursor", raw)

    assert entry.headers == ("X-Team: blue",) and entry.bearer_secret is None
    assert any("Authorization header is left out" in n for n in notes)


@pytest.mark.parametrize("client_id", ["windsurf", "cline", "lmstudio"])
def test_formats_without_an_oauth_marker_import_a_plain_remote(client_id: str) -> None:
    key = "serverUrl" if client_id == "windsurf" else "url"

    entry, _ = imported(client_id, {key: URL})

    assert not entry.oauth


def test_a_local_server_never_becomes_an_oauth_remote() -> None:
    (server,) = servers_in(
        "cursor", {"mcpServers": {"x": {"command": "npx", "args": ["y"], "auth": {"CLIENT_ID": "a"}}}}
    )

    assert server.oauth is None and "auth" in server.dropped


@pytest.fixture
def oauth_connectors(claude_config: Path) -> list[Any]:
    entry = ProxyEntry("notes", URL, oauth=True, client_id="app-1", scope="notes:read", program=EXE)
    bare = ProxyEntry("open", "https://open.example.com/mcp", oauth=True, program=EXE)
    claude_config.write_text(json.dumps({"mcpServers": {"notes": entry.to_json(), "open": bare.to_json()}}))
    return Connectors.open().all()


def test_export_writes_each_formats_oauth_marker(oauth_connectors: list[Any]) -> None:
    assert export_connectors(oauth_connectors, "cursor").servers["notes"]["auth"] == {
        "CLIENT_ID": "app-1",
        "scopes": ["notes:read"],
    }
    assert export_connectors(oauth_connectors, "vscode").servers["notes"]["oauth"] == {"clientId": "app-1"}
    assert export_connectors(oauth_connectors, "claude-code").servers["notes"]["oauth"] == {
        "clientId": "app-1",
        "scopes": "notes:read",
    }
    assert export_connectors(oauth_connectors, "shareable").servers["open"] == {
        "url": "https://open.example.com/mcp",
        "oauth": {},
    }
    assert "oauth" not in export_connectors(oauth_connectors, "claude-code").servers["open"]
    assert export_connectors(oauth_connectors, "windsurf").servers["notes"] == {"serverUrl": URL}


@pytest.mark.parametrize("client_id", ["cursor", "claude-code", "shareable"])
def test_an_oauth_remote_exported_and_imported_again_is_the_same(
    client_id: str, oauth_connectors: list[Any], tmp_path: Path
) -> None:
    target = tmp_path / "out.json"
    write_export(oauth_connectors, client_id, target)

    plan = preview_import(client_id, target, Connectors.open())

    actions = {i.name: i.action for i in plan.items}
    assert actions["notes"] == SAME
    # Without a client id only our own file can say "signs in" (Cursor's and Claude Code's markers carry an id or
    # scopes), so elsewhere the server comes back as a plain remote: not the same as the OAuth one in Claude's file.
    assert actions["open"] == (SAME if client_id == "shareable" else CONFLICT)
