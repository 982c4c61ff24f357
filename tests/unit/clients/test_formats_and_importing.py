"""Import from and export to other MCP clients, on sample files written from each client's documented format.

Secrets are stored through a fake `store_secret` here; tests/integration/test_import_secrets.py uses the real keyring.
"""

import json
import shutil
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.core.clients.exporting import export_connectors, write_export
from plugboard.core.clients.formats import CLIENTS, default_path, read_client, strip_jsonc
from plugboard.core.clients.importing import CONFLICT, NEW, SAME, UNSUPPORTED, apply_import, preview_import
from plugboard.core.config.connectors import Connectors
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets
from plugboard.core.secrets.detect import looks_secret

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "clients"
SAMPLE_FILES = {
    "cursor": "cursor.json",
    "vscode": "vscode-mcp.json",
    "claude-code": "claude-code.json",
    "windsurf": "windsurf.json",
    "cline": "cline.json",
    "lmstudio": "lmstudio.json",
}
# Every plaintext secret in the sample files.
SAMPLE_SECRETS = [
    "ghp_cursorSampleToken000000000000000000",
    "xoxb-1111-2222-cursorSample",
    "lin_api_cursorSampleKey0000000000",
    "sk-vscodeSampleKey00000000",
    "sntryu_claudeCodeSampleToken0000",
    "s3cretPass",
    "figd_windsurfSampleToken0000",
    "ntn_windsurfSampleToken000000",
    "owm-clineSampleKey-0000000000",
    "hf_lmstudioSampleToken00000000",
]


class FakeKeyring:
    def __init__(self):
        self.values = {}

    def store(self, connector, key, value):
        self.values[(connector, key)] = value


def plan_for(client_id, file=None):
    return preview_import(client_id, SAMPLES / (file or SAMPLE_FILES[client_id]), Connectors.open())


def by_name(plan):
    return {i.name: i for i in plan.items}


def test_cursor_sample_previews_local_remote_and_secret_moves(claude_config):
    items = by_name(plan_for("cursor"))
    assert set(items) == {"github", "filesystem", "slack", "linear", "brave"}
    assert all(i.action == NEW for i in items.values())
    assert items["github"].secrets == {"GITHUB_PERSONAL_ACCESS_TOKEN": SAMPLE_SECRETS[0]}
    assert items["github"].entry["args"] == [
        "run",
        "github",
        "--secret",
        "GITHUB_PERSONAL_ACCESS_TOKEN",
        "--",
        "npx",
        "-y",
        "@modelcontextprotocol/server-github",
    ]
    assert items["slack"].entry["env"] == {"SLACK_TEAM_ID": "T01234567"}
    assert items["linear"].kind == "remote"
    assert items["linear"].entry == {
        "command": entry_command(),
        "args": ["proxy", "linear", "https://mcp.linear.app/mcp", "--bearer-secret", "BEARER_TOKEN"],
    }
    assert items["linear"].secrets == {"BEARER_TOKEN": "lin_api_cursorSampleKey0000000000"}
    assert items["brave"].ask == ["BRAVE_API_KEY"] and items["brave"].secrets == {}


def test_vscode_sample_reads_jsonc_servers_and_inputs(claude_config):
    items = by_name(plan_for("vscode"))
    assert items["perplexity"].ask == ["PERPLEXITY_API_KEY"]
    assert items["docs"].entry["args"] == [
        "proxy",
        "docs",
        "https://docs.example.com/mcp",
        "--header",
        "X-Api-Key: ${secret:X_API_KEY}",
        "--header",
        "X-Client: vscode",
    ]
    assert items["docs"].secrets == {"X_API_KEY": "sk-vscodeSampleKey00000000"}
    assert items["time"].entry["args"][-2:] == ["--local-timezone", "Europe/Berlin"]


def test_claude_code_user_file_reads_user_and_project_scopes(claude_config):
    items = by_name(plan_for("claude-code"))
    assert set(items) == {"sentry", "notion", "postgres", "sentry-shop"}
    assert items["postgres"].secrets == {"DATABASE_URI": "postgresql://shop:s3cretPass@localhost:5432/shop"}
    assert "from project /home/ana/shop scope" in items["postgres"].notes
    assert items["sentry-shop"].entry["args"] == [
        "proxy",
        "sentry-shop",
        "https://mcp.sentry.dev/sse",
        "--bearer-secret",
        "SENTRY_TOKEN",
    ]
    assert items["sentry-shop"].ask == ["SENTRY_TOKEN"]
    assert items["notion"].kind == "remote" and not items["notion"].secrets


def test_claude_code_project_file_takes_defaults_and_asks_for_references(claude_config):
    items = by_name(plan_for("claude-code", "claude-code-project.mcp.json"))
    assert items["memory"].entry["env"] == {"MEMORY_FILE_PATH": "/tmp/memory.jsonl"}
    assert items["memory"].ask == []
    assert items["api-server"].ask == ["API_KEY"]


def test_windsurf_sample_maps_server_url_and_disabled(claude_config):
    items = by_name(plan_for("windsurf"))
    assert items["figma"].kind == "remote" and items["figma"].entry["args"][2] == "https://figma.example.com/mcp"
    assert items["git"].disabled
    assert any("disabledTools" in n for n in items["notion"].notes)


def test_cline_sample_notes_what_claude_cannot_hold(claude_config):
    items = by_name(plan_for("cline"))
    assert items["fetch"].disabled and not items["weather"].disabled
    assert any("autoApprove" in n for n in items["weather"].notes)
    assert items["weather"].secrets == {"OPENWEATHER_API_KEY": "owm-clineSampleKey-0000000000"}
    assert items["remote-tools"].kind == "remote"


def test_lmstudio_sample_reads_remote_with_bearer(claude_config):
    items = by_name(plan_for("lmstudio"))
    assert items["hf-mcp-server"].secrets == {"BEARER_TOKEN": "hf_lmstudioSampleToken00000000"}
    assert items["playwright"].entry["args"][-1] == "@playwright/mcp@latest"


@pytest.mark.parametrize("client_id", list(SAMPLE_FILES))
def test_applying_an_import_writes_no_plaintext_secret_into_claudes_file_or_backups(
    client_id, claude_config, isolated_home
):
    claude_config.write_text('{"mcpServers": {}}')
    keyring = FakeKeyring()
    plan = plan_for(client_id)
    result = apply_import(plan, Connectors.open(), store_secret=keyring.store)
    assert result.added
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            data = path.read_text(errors="replace")
            assert not any(s in data for s in SAMPLE_SECRETS), path
    expected = {(i.name, k): v for i in plan.items for k, v in i.secrets.items()}
    assert keyring.values == expected
    live = {c.name: c for c in Connectors.open().all()}
    for item in plan.items:
        if item.action == NEW:
            assert live[item.name].enabled is (not item.disabled)


def test_declining_to_move_secrets_skips_those_servers(claude_config):
    claude_config.write_text('{"mcpServers": {}}')
    keyring = FakeKeyring()
    result = apply_import(plan_for("cursor"), Connectors.open(), move_secrets=False, store_secret=keyring.store)
    assert sorted(result.added) == ["brave", "filesystem"]
    assert {n for n, _ in result.skipped} == {"github", "slack", "linear"}
    assert keyring.values == {}
    assert result.missing_secrets == [("brave", "BRAVE_API_KEY")]


def test_asked_secrets_are_stored_and_empty_answers_listed_for_later(claude_config):
    claude_config.write_text('{"mcpServers": {}}')
    keyring = FakeKeyring()
    answers = {"PERPLEXITY_API_KEY": "pplx-typed-in"}
    result = apply_import(
        plan_for("vscode"), Connectors.open(), store_secret=keyring.store, ask_secret=lambda c, k: answers.get(k)
    )
    assert keyring.values[("perplexity", "PERPLEXITY_API_KEY")] == "pplx-typed-in"
    assert result.missing_secrets == []


def test_same_conflict_and_rename_are_told_apart(claude_config):
    claude_config.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "filesystem": {
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana/projects"],
                    },
                    "github": {
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-github"],
                        "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_different_one"},
                    },
                    "slack": {"command": "docker", "args": ["run", "slack"]},
                }
            }
        )
    )
    items = by_name(plan_for("cursor"))
    assert items["filesystem"].action == SAME
    assert items["github"].action == SAME  # same server; the token moving to the keyring is not a difference
    assert items["slack"].action == CONFLICT and items["slack"].existing == "slack"
    keyring = FakeKeyring()
    result = apply_import(
        preview_import("cursor", SAMPLES / "cursor.json", Connectors.open()),
        Connectors.open(),
        conflicts="rename",
        store_secret=keyring.store,
    )
    assert "slack-2" in result.added
    assert ("slack-2", "SLACK_BOT_TOKEN") in keyring.values
    config = json.loads(claude_config.read_text())["mcpServers"]
    assert config["slack"] == {"command": "docker", "args": ["run", "slack"]}
    assert config["slack-2"]["args"][:2] == ["run", "slack-2"]


def test_replace_rewrites_the_conflicting_entry(claude_config):
    claude_config.write_text('{"mcpServers": {"slack": {"command": "docker", "args": ["run", "slack"]}}}')
    apply_import(plan_for("cursor"), Connectors.open(), conflicts="replace", store_secret=FakeKeyring().store)
    assert json.loads(claude_config.read_text())["mcpServers"]["slack"]["args"][:2] == ["run", "slack"]


def test_broken_entries_are_unsupported_with_a_reason(claude_config, tmp_path):
    source = tmp_path / "mcp.json"
    source.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "nothing": {"env": {}},
                    "token-in-args": {"command": "npx", "args": ["server", "--token=ghp_inline00000000000"]},
                    "ok": {"command": "uvx", "args": ["mcp-server-fetch"]},
                }
            }
        )
    )
    items = by_name(preview_import("cursor", source, Connectors.open()))
    assert items["nothing"].action == UNSUPPORTED and "neither a command nor a url" in items["nothing"].notes[0]
    assert items["token-in-args"].action == UNSUPPORTED and "command line" in items["token-in-args"].notes[0]
    assert items["ok"].action == NEW


def test_jsonc_comments_and_trailing_commas_are_stripped_but_strings_are_kept():
    text = '{"a": "http://x//y", /* c */ "b": [1, 2,], // end\n "c": "/*no*/",}'
    assert json.loads(strip_jsonc(text)) == {"a": "http://x//y", "b": [1, 2], "c": "/*no*/"}


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("GITHUB_PERSONAL_ACCESS_TOKEN", "x", True),
        ("SLACK_TEAM_ID", "T01234567", False),
        ("GDRIVE_CREDENTIALS_PATH", "/home/a/creds.json", False),
        ("DATABASE_URI", "postgresql://u:pw@h/db", True),
        ("DATABASE_URI", "postgresql://h/db", False),
        ("LOG_LEVEL", "debug", False),
        ("X-Api-Key", "abc", True),
        ("Authorization", "Bearer abc", True),
        ("SOMETHING", "ghp_abcdef", True),
        ("GIT_AUTHOR_NAME", "Ana", False),
        ("API_KEY", "", False),
    ],
)
def test_secret_detection_by_name_and_value(name, value, secret):
    assert looks_secret(name, value) is secret


def test_default_paths_follow_facts(tmp_path):
    home = tmp_path
    env = {}
    assert default_path("cursor", system="Linux", env=env, home=home) == home / ".cursor" / "mcp.json"
    assert default_path("windsurf", system="Darwin", env=env, home=home) == (
        home / ".codeium" / "windsurf" / "mcp_config.json"
    )
    assert default_path("vscode", system="Darwin", env=env, home=home) == (
        home / "Library" / "Application Support" / "Code" / "User" / "mcp.json"
    )
    assert default_path("vscode", system="Windows", env={"APPDATA": "C:/Users/a/AppData/Roaming"}, home=home) == (
        Path("C:/Users/a/AppData/Roaming") / "Code" / "User" / "mcp.json"
    )
    assert default_path("cline", system="Linux", env=env, home=home).name == "cline_mcp_settings.json"
    assert default_path("claude-code", system="Linux", env=env, home=home) == home / ".claude.json"
    assert default_path("lmstudio", system="Linux", env=env, home=home) == home / ".lmstudio" / "mcp.json"


# -- export -------------------------------------------------------------------------------------------------

EXE = "/opt/plugboard/bin/plugboard"
CLAUDE_WITH_EVERYTHING = {
    "globalShortcut": "",
    "mcpServers": {
        "github": {
            "command": EXE,
            "args": [
                "run",
                "github",
                "--secret",
                "GITHUB_TOKEN",
                "--",
                "npx",
                "-y",
                "@modelcontextprotocol/server-github",
            ],
            "env": {"LOG_LEVEL": "info"},
        },
        "leaky": {
            "command": "npx",
            "args": ["-y", "some-server", "--api-key=sk-leakyArgValue0000"],
            "env": {"SERVICE_PASSWORD": "hunter2-plain", "REGION": "eu"},
        },
        "catalyst": {
            "command": EXE,
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
        "docs": {
            "command": EXE,
            "args": [
                "proxy",
                "docs",
                "https://docs.example.com/mcp",
                "--header",
                "X-Api-Key: ${secret:DOCS_KEY}",
                "--header",
                "X-Client: plugboard",
                "--bearer-secret",
                "TOKEN",
            ],
        },
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]},
    },
}
PLAIN_SECRETS = ["hunter2-plain", "sk-leakyArgValue0000"]


@pytest.fixture
def everything(claude_config, monkeypatch):
    claude_config.write_text(json.dumps(CLAUDE_WITH_EVERYTHING, indent=2))
    Connectors.open().disable("files")

    def no_keyring(*_args):
        raise AssertionError("an export read the keyring")

    monkeypatch.setattr(secrets, "get_secret", no_keyring)
    monkeypatch.setattr(secrets, "backend", no_keyring)
    return Connectors.open().all()


@pytest.mark.parametrize("client_id", list(CLIENTS))
def test_no_secret_is_ever_exported(client_id, everything, tmp_path):
    outcome = write_export(everything, client_id, tmp_path / "out.json")
    text = (tmp_path / "out.json").read_text()
    assert not any(s in text for s in PLAIN_SECRETS)
    assert outcome.exported.placeholders["github"] == ["GITHUB_TOKEN"]
    assert "SERVICE_PASSWORD" in outcome.exported.placeholders["leaky"]
    doc = json.loads(text)
    servers = doc[CLIENTS[client_id].servers_key]
    assert servers["leaky"]["env"]["REGION"] == "eu"
    assert servers["github"]["command"] == "npx"
    assert servers["github"]["env"]["LOG_LEVEL"] == "info"


def test_each_format_uses_its_own_references_and_remote_keys(everything):
    vscode = export_connectors(everything, "vscode")
    assert vscode.servers["github"]["env"]["GITHUB_TOKEN"] == "${input:GITHUB_TOKEN}"
    assert vscode.servers["github"]["type"] == "stdio"
    assert vscode.servers["docs"] == {
        "type": "http",
        "url": "https://docs.example.com/mcp",
        "headers": {
            "X-Api-Key": "${input:DOCS_KEY}",
            "X-Client": "plugboard",
            "Authorization": "Bearer ${input:TOKEN}",
        },
    }
    assert {i["id"] for i in vscode.inputs} >= {"GITHUB_TOKEN", "DOCS_KEY", "TOKEN"}
    assert all(i["password"] for i in vscode.inputs)
    windsurf = export_connectors(everything, "windsurf")
    assert windsurf.servers["docs"]["serverUrl"] == "https://docs.example.com/mcp"
    assert windsurf.servers["files"]["disabled"] is True
    assert export_connectors(everything, "cursor").servers["github"]["env"]["GITHUB_TOKEN"] == "${env:GITHUB_TOKEN}"
    assert export_connectors(everything, "claude-code").servers["github"]["env"]["GITHUB_TOKEN"] == "${GITHUB_TOKEN}"
    assert "files" not in export_connectors(everything, "cursor").servers
    # An SSH-tunnelled proxy only works through Plugboard: exported as the plugboard command itself.
    assert export_connectors(everything, "cursor").servers["catalyst"]["command"] == EXE


def test_export_merges_into_an_existing_file_and_keeps_different_same_named_servers(everything, tmp_path):
    target = tmp_path / "mcp.json"
    target.write_text('{"other": 1, "mcpServers": {"mine": {"command": "x"}, "docs": {"command": "y"}}}')
    outcome = write_export(everything, "cursor", target)
    doc = json.loads(target.read_text())
    assert doc["other"] == 1 and doc["mcpServers"]["mine"] == {"command": "x"}
    assert outcome.kept == ["docs"] and doc["mcpServers"]["docs"] == {"command": "y"}
    write_export(everything, "cursor", target, replace=True)
    assert json.loads(target.read_text())["mcpServers"]["docs"]["url"] == "https://docs.example.com/mcp"


@pytest.mark.parametrize("client_id", ["cursor", "vscode", "claude-code", "windsurf", "lmstudio", "shareable", "cline"])
def test_round_trip_export_then_import_finds_every_server_the_same(client_id, claude_config, tmp_path, monkeypatch):
    # Claude → client file → preview against the same Claude config: every exported server is "same".
    claude_config.write_text(json.dumps(CLAUDE_WITH_EVERYTHING))
    monkeypatch.setattr("plugboard.core.install.entry_command", lambda: EXE)
    connectors = Connectors.open()
    target = tmp_path / "out.json"
    outcome = write_export(connectors.all(), client_id, target)
    plan = preview_import(client_id, target, connectors)
    actions = {i.name: i.action for i in plan.items}
    assert set(actions) == set(outcome.written)
    # "leaky" held a plaintext secret in an argument; the export replaced it with a reference, so the server that
    # comes back differs from the one in Claude's file, and the preview says so.
    assert actions.pop("leaky") == CONFLICT
    assert all(a == SAME for a in actions.values()), actions


def test_import_from_sample_then_export_back_gives_the_same_servers(claude_config, tmp_path):
    claude_config.write_text('{"mcpServers": {}}')
    apply_import(plan_for("windsurf"), Connectors.open(), store_secret=FakeKeyring().store)
    target = tmp_path / "mcp_config.json"
    write_export(Connectors.open().all(), "windsurf", target)
    _path, original = read_client("windsurf", SAMPLES / "windsurf.json")
    _path, again = read_client("windsurf", target)
    assert {s.name: (s.command, s.args, s.url, s.disabled) for s in again} == {
        s.name: (s.command, s.args, s.url, s.disabled) for s in original
    }
    assert "figd_windsurfSampleToken0000" not in target.read_text()


def test_import_cli_previews_as_json_without_writing(claude_config, capsys):
    assert main(["import", "cursor", str(SAMPLES / "cursor.json"), "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in preview["servers"]} == set(by_name(plan_for("cursor")))
    assert not any(s in json.dumps(preview) for s in SAMPLE_SECRETS)
    assert not claude_config.exists()


def test_import_cli_without_a_terminal_or_yes_writes_nothing(claude_config, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["import", "lmstudio", str(SAMPLES / "lmstudio.json")]) == 1
    assert "--yes" in capsys.readouterr().err
    assert not claude_config.exists()


def test_import_cli_with_no_secrets_to_move_creates_the_config(claude_config, tmp_path, capsys):
    source = tmp_path / "mcp.json"
    source.write_text('{"mcpServers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}}}')
    assert main(["import", "cursor", str(source), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Imported fetch" in out and "Created Claude Desktop's config file" in out
    assert json.loads(claude_config.read_text())["mcpServers"]["fetch"]["args"][-1] == "mcp-server-fetch"


def test_export_cli_prints_a_shareable_file_to_stdout(everything, capsys):
    assert main(["export", "shareable"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["plugboard"]["format"] == "plugboard-shareable"
    assert doc["mcpServers"]["github"]["env"]["GITHUB_TOKEN"] == "${secret:GITHUB_TOKEN}"
    assert not any(s in out for s in PLAIN_SECRETS)


def test_export_to_a_missing_client_folder_says_so(everything, tmp_path, capsys):
    assert main(["export", "cursor", str(tmp_path / "no" / "mcp.json")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_sample_files_are_copied_not_modified_by_import(claude_config, tmp_path):
    copy = tmp_path / "cursor.json"
    shutil.copy(SAMPLES / "cursor.json", copy)
    before = copy.read_bytes()
    apply_import(preview_import("cursor", copy, Connectors.open()), Connectors.open(), store_secret=FakeKeyring().store)
    assert copy.read_bytes() == before
