"""The rules of `plugboard secure` (core/config/secure.py) that need no keyring: what moves, what stays, what is
refused, and which backups still hold a value. The keyring side is in tests/integration/config/test_secure.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from plugboard.core.config.secure import backups_holding, delete_backups, plan_secure
from plugboard.core.entries import LauncherEntry, ProxyEntry, parse
from plugboard.core.errors import PlugboardError


def test_with_no_key_named_only_values_that_look_secret_move_and_claudes_own_keys_stay():
    entry = {
        "command": "npx",
        "args": ["-y", "srv"],
        "env": {"GITHUB_TOKEN": "ghp_x", "DEBUG": "1"},
        "extensionId": "e",
    }

    plan = plan_secure("gh", entry)

    assert plan.moved == {"GITHUB_TOKEN": "ghp_x"} and plan.existing == []
    assert plan.entry is not None
    parsed = parse(plan.entry)
    assert isinstance(parsed, LauncherEntry)
    assert (parsed.secrets, dict(parsed.env), parsed.server_argv) == (
        ("GITHUB_TOKEN",),
        {"DEBUG": "1"},
        ["npx", "-y", "srv"],
    )
    assert plan.entry["extensionId"] == "e"


def test_an_entry_already_secured_has_nothing_to_move():
    entry = LauncherEntry.new("gh", "npx", ["srv"], secrets=["GITHUB_TOKEN"], env={"DEBUG": "1"}).to_json()

    plan = plan_secure("gh", entry)

    assert (plan.entry, plan.moved, plan.existing) == (None, {}, ["GITHUB_TOKEN"])


def test_a_named_key_joins_the_keys_the_launcher_already_takes():
    entry = LauncherEntry.new("gh", "npx", ["srv"], secrets=["A_TOKEN"], env={"TEAM": "t1"}).to_json()

    plan = plan_secure("gh", entry, ["TEAM"])

    assert plan.entry is not None and parse(plan.entry).secrets == ("A_TOKEN", "TEAM")
    assert "env" not in plan.entry


@pytest.mark.parametrize(
    ("entry", "keys", "words"),
    [
        ({"command": "npx", "env": {"DEBUG": "1"}}, [], "none of gh's env values (DEBUG) look like secrets"),
        ({"command": "npx"}, [], "gh has no env values to move"),
        ({"command": "npx", "env": {"A": "1"}}, ["NOPE"], "gh has no env value called NOPE"),
        ({"command": "npx", "env": {"TOKEN": ""}}, ["TOKEN"], "TOKEN in gh is empty"),
        ({"command": "/x/plugboard", "args": ["run", "--bad"]}, [], "entry cannot be read"),
    ],
)
def test_impossible_plans_are_refused_with_the_reason(entry, keys, words):
    with pytest.raises(PlugboardError, match=words.replace("(", r"\(").replace(")", r"\)")):
        plan_secure("gh", entry, keys)


def test_a_proxy_entrys_token_belongs_in_its_bearer_flag():
    entry = ProxyEntry.new("remote", "http://127.0.0.1:5000/mcp").to_json()
    entry["env"] = {"API_TOKEN": "t"}
    with pytest.raises(PlugboardError, match="--bearer-secret"):
        plan_secure("remote", entry)


def test_backups_holding_finds_a_value_in_either_json_escaping_and_delete_removes_only_those(tmp_path: Path):
    value = 'tök"en'
    files = {
        "ascii": json.dumps({"env": {"T": value}}),
        "unicode": json.dumps({"env": {"T": value}}, ensure_ascii=False),
        "other": json.dumps({"env": {"T": "something else"}}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    backups = [SimpleNamespace(path=tmp_path / name) for name in [*files, "gone"]]

    found = backups_holding(backups, [value])  # type: ignore[arg-type]

    assert found == [tmp_path / "ascii", tmp_path / "unicode"]
    assert backups_holding(backups, []) == []  # type: ignore[arg-type]
    assert delete_backups(found) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]
