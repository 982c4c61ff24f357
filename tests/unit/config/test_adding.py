"""The add rules (core/config/adding.py) through both doors: `plugboard add` and the app's connector form
(`ConnectorForm.problems`) refuse the same things in the same words, and nothing is written or stored when they do."""

from __future__ import annotations

import io
import json

import pytest

from plugboard.cli import main
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.form import ConnectorForm, EnvVar
from plugboard.core.errors import PlugboardError
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets

NOT_A_NAME = "(letters, digits and _, not starting with a digit)"


def cli_refusal(argv: list[str], capsys, claude_config) -> str:
    """`plugboard add ...` exits 1 with one line saying why, and Claude's file is untouched."""
    before = claude_config.read_bytes() if claude_config.exists() else None
    assert main(["add", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plugboard: ") and err.count("\n") == 1
    assert (claude_config.read_bytes() if claude_config.exists() else None) == before
    return err.removeprefix("plugboard: ").strip()


def form_problems(name: str = "gh", env: list[EnvVar] | None = None, **kwargs: object) -> list[str]:
    return ConnectorForm(name, "npx", ["srv"], env or [], **kwargs).problems()  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["1BAD", "BAD-KEY", "A B", "TOKEN\n", ""])
def test_a_variable_name_that_is_not_one_is_refused_by_both(key, capsys, claude_config):
    words = f"{json.dumps(key)} is not a valid variable name {NOT_A_NAME}."

    assert form_problems(env=[EnvVar(key, "1")]) == [words]
    assert form_problems(env=[EnvVar(key, "", secret=True)]) == [words]
    assert cli_refusal(["gh", "--secret", key, "--", "npx", "srv"], capsys, claude_config) == words
    if key:  # `--env =1` is a KEY=VALUE usage problem before any rule
        assert cli_refusal(["gh", "--env", f"{key}=1", "--", "npx", "srv"], capsys, claude_config) == words


def test_a_variable_given_twice_is_refused_by_both(capsys, claude_config):
    words = "DEBUG is listed twice."

    assert form_problems(env=[EnvVar("DEBUG", "1"), EnvVar("DEBUG", "2")]) == [words]
    argv = ["gh", "--env", "DEBUG=1", "--env", "DEBUG=2", "--", "npx", "srv"]
    assert cli_refusal(argv, capsys, claude_config) == words


def test_a_variable_both_plain_and_secret_is_refused_by_both(capsys, claude_config):
    words = "TOKEN is given both as a plain value and as a secret; keep one."

    assert form_problems(env=[EnvVar("TOKEN", "x"), EnvVar("TOKEN", "", secret=True)]) == [words]
    argv = ["gh", "--env", "TOKEN=x", "--secret", "TOKEN", "--", "npx", "srv"]
    assert cli_refusal(argv, capsys, claude_config) == words


def test_an_entry_claude_starts_directly_cannot_take_secrets_in_either(capsys, claude_config):
    words = (
        "An entry that Claude starts directly cannot take secrets: only Plugboard's launcher hands them to the server."
    )

    assert form_problems(env=[EnvVar("TOKEN", "v", secret=True)], plain=True) == [words]
    assert cli_refusal(["gh", "--plain", "--secret", "TOKEN", "--", "npx", "srv"], capsys, claude_config) == words


@pytest.mark.usefixtures("secret_service")
@pytest.mark.parametrize("given", ["", "   "])
def test_an_empty_secret_is_refused_by_both_and_nothing_is_stored(given, capsys, claude_config, monkeypatch):
    words = "Enter a value for the secret TOKEN: an empty secret is never stored."
    in_keyring = lambda name, key: secrets.get_secret(name, key) is not None  # noqa: E731

    assert words in ConnectorForm("gh", "npx", [], [EnvVar("TOKEN", given, secret=True)]).problems(
        has_secret=in_keyring
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(given + "\n"))
    assert cli_refusal(["gh", "--secret", "TOKEN", "--", "npx", "srv"], capsys, claude_config) == words
    assert secrets.get_secret("gh", "TOKEN") is None
    # One already in the keyring counts as a value in both.
    secrets.set_secret("gh", "TOKEN", "t0ken")
    assert ConnectorForm("gh", "npx", [], [EnvVar("TOKEN", "", secret=True)]).problems(has_secret=in_keyring) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("gh ", 'The name "gh " starts or ends with a space.'),
        ("a\x1b[31mred", "A connector name cannot hold control characters (a line break, a tab, a terminal escape)."),
        ("two\nlines", "A connector name cannot hold control characters (a line break, a tab, a terminal escape)."),
        ("   ", "Give the connector a name."),
    ],
)
def test_a_bad_connector_name_is_refused_by_both(name, words, capsys, claude_config):
    assert form_problems(name) == [words]
    assert cli_refusal([name, "--", "npx", "srv"], capsys, claude_config) == words


def test_a_name_starting_with_a_dash_is_refused_by_the_form_and_every_other_way_in(claude_config, capsys):
    """`plugboard run -x` would read the name as an option (and `entries.parse` would no longer see our entry)."""
    words = 'A connector name cannot start with "-": Plugboard would read it as an option.'

    assert form_problems("-x") == [words]
    # The command line cannot even say it: argparse takes it for an option (a usage error, exit 2).
    with pytest.raises(SystemExit) as usage:
        main(["add", "-x", "--", "npx", "srv"])
    assert usage.value.code == 2
    # The catalog, import and the remote wizard add through Connectors.add, which applies the same rule.
    with pytest.raises(PlugboardError, match=words):
        Connectors(discover(str(claude_config))).add("-x", {"command": "npx", "args": ["srv"]})
    assert not claude_config.exists()


def test_what_passes_the_rules_is_written_exactly_as_before(capsys, claude_config):
    assert main(["add", "time", "--env", "TZ=UTC", "--", "uvx", "mcp-server-time"]) == 0
    assert main(["add", "bare", "--plain", "--env", "TZ=UTC", "--", "uvx", "mcp-server-time"]) == 0
    assert main(["add", "noenv", "--plain", "--", "uvx"]) == 0
    servers = json.loads(claude_config.read_text())["mcpServers"]
    assert servers == {
        "time": {
            "command": entry_command(),
            "args": ["run", "time", "--", "uvx", "mcp-server-time"],
            "env": {"TZ": "UTC"},
        },
        "bare": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}},
        "noenv": {"command": "uvx", "args": []},
    }
    form = ConnectorForm("time", "uvx", ["mcp-server-time"], [EnvVar("TZ", "UTC")])
    assert form.problems() == [] and form.entry() == servers["time"]
    plain = ConnectorForm("bare", "uvx", ["mcp-server-time"], [EnvVar("TZ", "UTC")], plain=True)
    assert plain.problems() == [] and plain.entry() == servers["bare"]
