"""An entry Claude Desktop cannot start (`{"url": …}`: no program) is one connector's problem, not the file's.

The others list and work as before, the odd one is listed with its problem, every write keeps its bytes exactly, and
a truly broken file is still refused. Plugboard itself never writes such an entry.
"""

import json

import pytest

from plugboard.cli import main
from plugboard.core.claude.discovery import discover
from plugboard.core.clients.remote_entries import plan_connect
from plugboard.core.config import claude_file as engine
from plugboard.core.config.connectors import Connectors
from plugboard.core.entries import ProxyEntry, parse
from plugboard.core.errors import ConfigError, PlugboardError
from plugboard.core.paths import plugboard_dirs
from plugboard.core.probe.health import HealthState, assess
from plugboard.core.probe.verdict import Action, Code

URL = "https://notes.example.com/mcp"
# Hand-written, in a style no serializer produces (odd spacing, keys in odd order), so a re-serialised entry shows.
CONFIG = (
    '{\n  "globalShortcut": "",\n  "mcpServers": {\n'
    '    "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]},\n'
    f'    "remote-notes" :  {{ "url" : "{URL}" }},\n'
    '    "typed": {"url": "https://typed.example.com/mcp", "type": "http", "headers": {"X-Team": "blue"}},\n'
    '    "windsurf-style": {"serverUrl": "https://surf.example.com/mcp"},\n'
    '    "time": {"command": "uvx", "args": ["mcp-server-time"]}\n'
    '  },\n  "preferences": {"menuBarEnabled": false}\n}'
)
WEB = ("remote-notes", "typed", "windsurf-style")


@pytest.fixture
def connectors(claude_config):
    claude_config.write_text(CONFIG)
    return Connectors(discover(str(claude_config)), plugboard_dirs())


def test_a_file_with_url_entries_is_read_and_every_connector_is_listed_in_file_order(connectors):
    listed = connectors.all()
    assert [c.name for c in listed] == ["files", *WEB, "time"]
    by_name = {c.name: c for c in listed}
    assert by_name["files"].problem is None and by_name["time"].problem is None
    assert by_name["files"].server_command == ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]
    for name in WEB:
        assert by_name[name].problem == "Claude Desktop can't start this one: it names a web address but no program"
        assert by_name[name].kind == "remote"
    assert by_name["remote-notes"].address == URL
    assert by_name["windsurf-style"].address == "https://surf.example.com/mcp"


@pytest.mark.parametrize(
    ("entry", "problem", "address"),
    [
        ({"url": URL}, engine.NO_PROGRAM_AT_ADDRESS, URL),
        ({"type": "http", "url": URL}, engine.NO_PROGRAM_AT_ADDRESS, URL),
        ({"serverUrl": URL}, engine.NO_PROGRAM_AT_ADDRESS, URL),
        ({"url": "  "}, engine.NO_PROGRAM, None),
        ({}, engine.NO_PROGRAM, None),
        ({"command": "npx"}, None, None),
        ({"command": "npx", "url": URL}, None, None),
        (["npx"], None, None),
    ],
)
def test_only_an_object_without_a_command_is_called_not_startable(entry, problem, address):
    assert engine.not_startable(entry) == problem
    assert engine.web_address(entry) == address


def test_switching_another_connector_off_and_on_keeps_the_url_entries_bytes_and_the_whole_file(
    connectors, claude_config
):
    before = claude_config.read_bytes()
    member = f'"remote-notes" :  {{ "url" : "{URL}" }}'.encode()
    for name in ("files", "time"):
        connectors.disable(name)
        assert member in claude_config.read_bytes()
        assert name not in json.loads(claude_config.read_text())["mcpServers"]
        connectors.enable(name)
        assert claude_config.read_bytes() == before


def test_the_url_entry_itself_can_be_switched_off_and_on_byte_for_byte(connectors, claude_config):
    before = claude_config.read_bytes()
    for name in WEB:
        connectors.disable(name)
        assert [c.enabled for c in connectors.all() if c.name == name] == [False]
    for name in reversed(WEB):
        connectors.enable(name)
    assert claude_config.read_bytes() == before


def test_adding_and_editing_others_splices_text_and_leaves_the_url_entries_as_written(connectors, claude_config):
    connectors.add("extra", {"command": "uvx", "args": ["mcp-server-fetch"]})
    connectors.replace("time", {"command": "uvx", "args": ["mcp-server-time", "--local-timezone", "UTC"]})
    text = claude_config.read_text()
    for line in CONFIG.splitlines():
        if any(f'"{name}"' in line for name in WEB):
            assert line in text
    connectors.remove("extra")
    connectors.replace("time", {"command": "uvx", "args": ["mcp-server-time"]})
    assert json.loads(claude_config.read_text()) == json.loads(CONFIG)


def test_plugboard_never_writes_an_entry_without_a_program(connectors, claude_config):
    before = claude_config.read_bytes()
    with pytest.raises(PlugboardError, match='has no "command"'):
        connectors.add("new", {"url": URL})
    with pytest.raises(PlugboardError, match='has no "command"'):
        connectors.replace("files", {"url": URL})
    assert claude_config.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"mcpServers": {"a": {"url": "https://x.example/mcp"},}}', "trailing comma"),
        ('{"mcpServers": {"a": {"url": "https://x.example/mcp"}}}\n{}', "second JSON value"),
        ('{"mcpServers": {"a": {"url": "https://x.example/mcp"}, "b": {"command": 5}}}', '"command" that is not'),
        ('{"mcpServers": {"a": {"url": "https://x.example/mcp"}, "b": "npx"}}', "must be an object"),
    ],
)
def test_a_truly_broken_file_is_still_refused_whatever_url_entries_it_holds(claude_config, text, said):
    claude_config.write_text(text)
    with pytest.raises(ConfigError, match=said):
        engine.read(claude_config)


def test_the_conversion_builds_plugboards_own_proxy_entry_and_keeps_tokens_out_of_it():
    token = "nts_8f2a9c1e7b3d4f6a0e5c"
    plan = plan_connect("remote-notes", {"url": URL, "headers": {"Authorization": f"Bearer {token}"}})
    parsed = parse(plan.entry)
    assert isinstance(parsed, ProxyEntry)
    assert (parsed.name, parsed.url, parsed.bearer_secret, parsed.headers) == ("remote-notes", URL, "BEARER_TOKEN", ())
    assert token not in json.dumps(plan.entry)
    assert plan.secrets == {"BEARER_TOKEN": token}
    assert set(plan.scrub) == {token, f"Bearer {token}"}

    key = "sk_live_4242424242424242abcd"
    plan = plan_connect("surf", {"serverUrl": URL, "headers": {"X-Api-Key": key, "X-Team": "blue"}})
    parsed = parse(plan.entry)
    assert isinstance(parsed, ProxyEntry)
    assert parsed.headers == ("X-Api-Key: ${secret:X_API_KEY}", "X-Team: blue")
    assert key not in json.dumps(plan.entry) and plan.secrets == {"X_API_KEY": key}

    plan = plan_connect("typed", {"type": "http", "url": URL})
    assert parse(plan.entry) == ProxyEntry("typed", URL, program=plan.entry["command"])
    assert plan.secrets == {} and plan.scrub == ()


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ({"url": "ftp://files.example.com/mcp"}, "http:// or https://"),
        ({"url": "https://ana:pw@notes.example.com/mcp"}, "user name or password"),
        ({"command": "npx"}, "does not name a web address"),
        ({}, "does not name a web address"),
    ],
)
def test_an_entry_that_cannot_be_converted_is_refused_in_words(entry, said):
    with pytest.raises(PlugboardError, match=said):
        plan_connect("odd", entry)


def test_its_row_says_the_problem_and_offers_the_one_click_fix(connectors):
    by_name = {c.name: c for c in connectors.all()}
    health = assess(by_name["remote-notes"], [])
    assert health.state is HealthState.FAILING and health.light == "bad"
    assert health.line == "Claude Desktop can't start this one: it names a web address but no program"
    assert health.finding is not None and health.finding.code is Code.NOT_STARTABLE
    assert [(s.action, s.label) for s in health.finding.steps] == [
        (Action.CONNECT_REMOTE, "Connect it through Plugboard")
    ]
    assert assess(by_name["files"], []).state is HealthState.UNKNOWN


def test_a_test_or_the_doctor_says_the_same_and_offers_the_same_fix(connectors):
    from plugboard.core.probe.doctor import examine_connector
    from plugboard.core.probe.verdict import verdict

    connector = connectors.get("remote-notes")
    report = examine_connector(connector)
    assert not report.ok and report.problems[0].fix.startswith("Run `plugboard repair`")
    result = verdict(report)
    assert result.finding.code is Code.NOT_STARTABLE and result.headline == engine.NO_PROGRAM_AT_ADDRESS
    assert [s.action for s in result.finding.steps] == [Action.CONNECT_REMOTE]


def test_plugboard_list_shows_every_connector_and_says_what_is_wrong(connectors, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("files", *WEB, "time"):
        assert name in out
    assert "cannot start: no program (plugboard repair)" in out and URL in out


def test_plugboard_repair_offers_the_conversion_and_changes_nothing_when_declined(
    connectors, claude_config, capsys, monkeypatch
):
    import io

    before = claude_config.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["repair"]) == 1
    out = capsys.readouterr().out
    assert f"remote-notes → plugboard proxy remote-notes {URL}" in out
    assert "Nothing changed." in out
    assert claude_config.read_bytes() == before
    assert connectors.backups() == []


def test_plugboard_repair_yes_converts_entries_without_secrets_and_keeps_the_others_bytes(
    connectors, claude_config, capsys
):
    assert main(["repair", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "remote-notes now runs through `plugboard proxy`." in out
    listed = {c.name: c for c in connectors.all()}
    for name in WEB:
        assert listed[name].problem is None and listed[name].via_plugboard == "proxy"
    assert listed["typed"].parsed.headers == ("X-Team: blue",)  # type: ignore[union-attr]
    text = claude_config.read_text()
    for line in CONFIG.splitlines():
        if '"files"' in line or '"time"' in line:
            assert line in text
    assert len(connectors.backups()) == len(WEB)
    assert main(["repair"]) == 0
    assert "nothing to repair" in capsys.readouterr().out
