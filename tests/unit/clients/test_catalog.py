"""The bundled catalog: every item valid, forms turned into launcher/proxy entries, runtime checks, the CLI."""

import copy
import json
import os
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.core.claude.first_run import claude_setup
from plugboard.core.clients.catalog import (
    add_from_catalog,
    check_runtime,
    load_catalog,
    plan_add,
    read_catalog_data,
    validate_catalog,
)
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import ClashError, PlugboardError
from plugboard.core.install import entry_command

REQUIRED_TOPICS = [
    "filesystem",
    "github",
    "slack",
    "gdrive",
    "postgres",
    "sqlite",
    "fetch",
    "brave-search",
    "memory",
    "time",
    "git",
    "playwright",
    "notion",
    "linear",
    "sentry",
    "ssh-remote",
]


def sample_values(item, tmp_path: Path) -> dict[str, str]:
    values = {}
    for spec in item.inputs:
        values[spec.id] = {
            "folder": str(tmp_path),
            "file": str(tmp_path / "data.db"),
            "url": "http://127.0.0.1:5000/mcp",
            "secret": f"value-of-{spec.id}-0123456789",
            "text": "droplet" if spec.id == "ssh_profile" else "T0123",
        }[spec.type]
    return values


def test_the_bundled_catalog_passes_its_schema_with_no_problem():
    assert validate_catalog(read_catalog_data()) == []


def test_the_catalog_has_at_least_15_servers_covering_the_issue_list():
    catalog = load_catalog()
    ids = [i.id for i in catalog.items]
    assert len(ids) >= 15
    assert set(REQUIRED_TOPICS) <= set(ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("item_id", [i.id for i in load_catalog().items])
def test_every_catalog_item_builds_an_entry_that_names_secrets_but_never_holds_them(item_id, tmp_path):
    item = load_catalog().get(item_id)
    values = sample_values(item, tmp_path)
    plan = plan_add(item, "conn", values)
    text = json.dumps(plan.entry)
    for key in item.secret_keys:
        assert values[key] not in text
        assert plan.secrets[key] == values[key]
        assert key in plan.entry["args"]
    assert plan.entry["command"] == entry_command()
    verb = "proxy" if item.runtime == "plugboard" else "run"
    assert plan.entry["args"][:2] == [verb, "conn"]
    if verb == "run":
        assert plan.entry["args"][plan.entry["args"].index("--") + 1] == item.command


def test_known_env_names_and_packages_are_the_real_ones():
    catalog = load_catalog()
    assert catalog.get("github").input("GITHUB_PERSONAL_ACCESS_TOKEN").env == "GITHUB_PERSONAL_ACCESS_TOKEN"
    assert "@modelcontextprotocol/server-filesystem" in catalog.get("filesystem").args
    assert catalog.get("time").command == "uvx" and catalog.get("time").args[0] == "mcp-server-time"
    assert catalog.get("slack").input("SLACK_BOT_TOKEN").is_secret


def test_the_files_item_puts_the_chosen_folder_in_args_and_runs_through_the_launcher(tmp_path):
    plan = plan_add(load_catalog().get("filesystem"), "files", {"folder": str(tmp_path)})
    assert plan.entry["args"] == [
        "run",
        "files",
        "--",
        "npx",
        "-y",
        "@modelcontextprotocol/server-filesystem",
        str(tmp_path),
    ]
    assert plan.secrets == {}


def test_a_folder_that_does_not_exist_is_refused_with_the_field_label(tmp_path):
    with pytest.raises(PlugboardError, match=r"Folder Claude may use.*does not exist"):
        plan_add(load_catalog().get("filesystem"), "files", {"folder": str(tmp_path / "nope")})


def test_a_missing_required_field_and_an_unknown_field_are_refused():
    item = load_catalog().get("github")
    with pytest.raises(PlugboardError, match="needs “GitHub personal access token”"):
        plan_add(item, "gh", {})
    with pytest.raises(PlugboardError, match="has no field TOKEN"):
        plan_add(item, "gh", {"TOKEN": "x"})


def test_a_secret_with_a_line_break_is_refused():
    with pytest.raises(PlugboardError, match="line break"):
        plan_add(load_catalog().get("github"), "gh", {"GITHUB_PERSONAL_ACCESS_TOKEN": "abc\ndef"})


def test_the_ssh_item_drops_the_optional_token_group_when_no_token_is_given():
    item = load_catalog().get("ssh-remote")
    plan = plan_add(item, "catalyst", {"url": "http://127.0.0.1:5000/mcp", "ssh_profile": "droplet"})
    assert plan.entry["args"] == ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet"]
    with_token = plan_add(
        item, "catalyst", {"url": "http://127.0.0.1:5000/mcp", "ssh_profile": "droplet", "API_TOKEN": "tok-123"}
    )
    assert with_token.entry["args"][-2:] == ["--bearer-secret", "API_TOKEN"]
    assert with_token.secrets == {"API_TOKEN": "tok-123"}


def test_an_address_that_is_not_http_is_refused():
    with pytest.raises(PlugboardError, match=r"http:// or https://"):
        plan_add(load_catalog().get("remote"), "r", {"url": "ftp://example.com/mcp"})


def test_an_optional_text_left_empty_drops_its_flag():
    item = load_catalog().get("time")
    assert plan_add(item, "time", {}).entry["args"][-1] == "mcp-server-time"
    assert plan_add(item, "time", {"timezone": "Europe/Berlin"}).entry["args"][-2:] == [
        "--local-timezone",
        "Europe/Berlin",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s[0].update(runtime="ruby"), "runtime must be one of"),
        (lambda s: s[0].update(docs="http://insecure"), "docs must be an https"),
        (lambda s: s[1].update(args=[*s[1]["args"], "{GITHUB_PERSONAL_ACCESS_TOKEN}"]), "secrets must fill env"),
        (lambda s: s[0]["inputs"][0].update(type="colour"), "not one of"),
        (lambda s: s[0].update(args=["-y", "{missing}"]), "not an input"),
        (lambda s: s[2].update(id=s[0]["id"]), "used twice"),
        (lambda s: s[0].update(description="Two sentences. Here."), "one sentence"),
        (lambda s: s[0]["inputs"][0].pop("label"), "needs a label"),
    ],
)
def test_a_broken_catalog_is_reported_item_by_item(change, problem):
    data = copy.deepcopy(read_catalog_data())
    change(data["servers"])
    problems = validate_catalog(data)
    assert any(problem in p for p in problems), problems
    with pytest.raises(PlugboardError, match="catalog is broken"):
        load_catalog(data)


def test_search_finds_by_keyword_and_puts_name_matches_first():
    catalog = load_catalog()
    assert [i.id for i in catalog.search("database")][:2] == ["postgres", "sqlite"]
    assert catalog.search("git")[0].id in ("git", "github")
    assert {i.id for i in catalog.search("ssh tunnel")} == {"ssh-remote"}
    assert catalog.search("web")[0].id in ("fetch", "brave-search")
    assert catalog.search("no such thing at all") == []


def _tree_with(tmp_path: Path, program: str | None) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if program:
        exe = bin_dir / program
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path / "home")}


def test_a_missing_runtime_says_what_to_install_and_where(tmp_path):
    env = _tree_with(tmp_path, None)
    check = check_runtime(load_catalog().get("github"), env=env, home=tmp_path / "home", root=tmp_path)
    assert not check.ok
    assert "needs Docker Desktop" in check.message
    assert "https://www.docker.com/products/docker-desktop/" in check.message
    assert check.searched


def test_an_installed_runtime_is_found_off_the_gui_path(tmp_path):
    env = _tree_with(tmp_path, "uvx")
    check = check_runtime(load_catalog().get("time"), env=env, home=tmp_path / "home", root=tmp_path)
    assert check.ok
    assert check.found == str(tmp_path / "bin" / "uvx")


def test_a_plugboard_item_needs_no_runtime():
    assert check_runtime(load_catalog().get("linear"), env={"PATH": ""}).ok


def test_adding_checks_the_name_before_touching_the_keyring(claude_config):
    claude_config.write_text('{"mcpServers": {"gh": {"command": "x"}}}')
    stored = []
    plan = plan_add(load_catalog().get("github"), "gh", {"GITHUB_PERSONAL_ACCESS_TOKEN": "tok"})
    with pytest.raises(ClashError):
        add_from_catalog(Connectors.open(), plan, store_secret=lambda *a: stored.append(a))
    assert stored == []


def test_adding_stores_secrets_then_writes_an_entry_without_them(claude_config):
    stored = {}
    plan = plan_add(load_catalog().get("notion"), "notion", {"NOTION_TOKEN": "ntn_abc123"})
    add_from_catalog(Connectors.open(), plan, store_secret=lambda c, k, v: stored.__setitem__((c, k), v))
    assert stored == {("notion", "NOTION_TOKEN"): "ntn_abc123"}
    text = claude_config.read_text()
    assert "ntn_abc123" not in text
    assert json.loads(text)["mcpServers"]["notion"] == plan.entry


def test_catalog_cli_lists_and_searches(capsys):
    assert main(["catalog", "postgres"]) == 0
    out = capsys.readouterr().out
    assert "postgres" in out and "DATABASE_URI" in out and "asked, hidden" in out
    assert main(["catalog", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(load_catalog().items)
    assert main(["catalog", "zzzz-nothing"]) == 1


def test_catalog_add_without_secrets_creates_the_missing_config_and_says_so(claude_config, tmp_path, capsys):
    assert not claude_config.exists()
    assert main(["catalog", "add", "filesystem", "files", "--set", f"folder={tmp_path}"]) == 0
    out = capsys.readouterr().out
    # Said once, after the fact (an add that fails must not announce a file it never created).
    assert "Created Claude Desktop's config file" in out and "will create it" not in out
    entry = json.loads(claude_config.read_text())["mcpServers"]["files"]
    assert entry["args"][-1] == str(tmp_path)
    assert oct(os.stat(claude_config).st_mode & 0o777) == "0o600"


def test_catalog_add_refuses_a_secret_given_on_the_command_line(claude_config, capsys):
    assert main(["catalog", "add", "github", "--set", "GITHUB_PERSONAL_ACCESS_TOKEN=ghp_x"]) == 1
    assert "never given on the command line" in capsys.readouterr().err
    assert not claude_config.exists()


def test_when_claude_is_not_installed_catalog_add_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PLUGBOARD_CLAUDE_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert main(["catalog", "add", "fetch"]) == 1
    err = capsys.readouterr().err
    assert "does not look installed" in err and "https://claude.ai/download" in err


def test_first_run_states_are_told_apart(claude_config):
    setup = claude_setup(Connectors.open().discovery)
    assert setup.folder_exists and not setup.config_exists
    assert "no config file yet" in (setup.message or "")
    claude_config.write_text("{}")
    assert claude_setup(Connectors.open().discovery).message is None


def test_a_connector_is_described_by_the_catalog_item_whose_package_it_runs():
    from plugboard.core.clients.catalog import describe
    from plugboard.core.config.connectors import Connector

    catalog = load_catalog()
    launcher = {
        "command": "/x/plugboard",
        "args": [
            "run",
            "gh",
            "--secret",
            "T",
            "--",
            "docker",
            "run",
            "-i",
            "--rm",
            "-e",
            "T",
            "ghcr.io/github/github-mcp-server",
        ],
    }
    assert describe(Connector("gh", True, launcher), catalog) == catalog.get("github").description
    versioned = {"command": "npx", "args": ["-y", "@playwright/mcp@0.0.9"]}
    assert describe(Connector("pw", True, versioned), catalog) == catalog.get("playwright").description
    remote = {"command": "/x/plugboard", "args": ["proxy", "c", "http://127.0.0.1:5000/mcp", "--ssh", "droplet"]}
    assert describe(Connector("c", True, remote), catalog) == (
        "Remote server at http://127.0.0.1:5000/mcp through the SSH tunnel droplet"
    )
    assert (
        describe(Connector("mine", True, {"command": "node", "args": ["/opt/s.js"]}), catalog) == "Runs node /opt/s.js"
    )


def test_catalog_add_without_a_required_field_says_how_to_give_it(claude_config, capsys):
    assert main(["catalog", "add", "filesystem"]) == 1
    assert "plugboard catalog add filesystem --set folder=" in capsys.readouterr().err
    assert not claude_config.exists()


# -- credential checks ------------------------------------------------------------------------------------------


def test_items_with_a_secret_name_a_read_only_check_and_the_schema_guards_its_shape():
    catalog = load_catalog()
    github = catalog.get("github").check
    assert github is not None and github.tool == "get_me"
    assert catalog.get("brave-search").check is not None
    assert all(item.check is None for item in catalog.items if not item.secret_keys)

    data = read_catalog_data()
    broken = copy.deepcopy(data)
    item = next(i for i in broken["servers"] if i["id"] == "github")
    item["check"] = {"tool": "", "arguments": [], "extra": 1}
    problems = validate_catalog(broken)
    assert "server \"github\": check has unknown keys ['extra']" in problems
    assert 'server "github": check.tool must name a tool' in problems
    assert 'server "github": check.arguments must be an object' in problems
    no_secret = copy.deepcopy(data)
    item = next(i for i in no_secret["servers"] if i["id"] == "time")
    item["check"] = {"tool": "get_current_time"}
    assert validate_catalog(no_secret) == [
        'server "time": a check proves credentials: only an item with a secret input may have one'
    ]


def test_a_connector_finds_its_items_check_by_the_package_it_runs(tmp_path):
    from plugboard.core.clients.catalog import check_for
    from plugboard.core.config.connectors import Connector

    plan = plan_add(load_catalog().get("brave-search"), "search", {"BRAVE_API_KEY": "k-0123456789"})
    check = check_for(Connector("search", True, plan.entry))
    assert check is not None and check.tool == "brave_web_search" and check.arguments["count"] == 1
    assert check_for(Connector("x", True, {"command": "uvx", "args": ["something-else"]})) is None


def test_a_pasted_secret_loses_the_line_break_around_it_but_one_inside_is_refused():
    plan = plan_add(load_catalog().get("github"), "gh", {"GITHUB_PERSONAL_ACCESS_TOKEN": "  ghp_abc123\n"})
    assert plan.secrets == {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_abc123"}
