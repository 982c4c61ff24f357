"""Every kind of bad input: exit 1, one line naming the file (and line/column for JSON), the file never written."""

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from plugboard.cli import main
from plugboard.core.config import claude_file

BAD = {
    "comment": (
        '{\n  // my servers\n  "mcpServers": {}\n}',
        "line 2 column 3: has a comment",
        "remove the comments",
    ),
    "trailing comma": (
        '{\n  "mcpServers": {\n    "a": {"command": "x"},\n  }\n}',
        "line 3 column 26: has a comma before a closing bracket",
        "remove the trailing commas",
    ),
    "two objects": (
        '{"mcpServers": {}}\n{"mcpServers": {}}',
        "line 2 column 1: holds a second JSON value",
        None,
    ),
    "bom": (
        '\ufeff{"mcpServers": {}}',
        "line 1 column 1: starts with a byte-order mark",
        "remove the byte-order mark",
    ),
    "truncated": ('{\n  "mcpServers": {\n    "a": {"comm', "the file ends too early", None),
    "not an object": ('["a", "b"]', "line 1 column 1: is not a JSON object", None),
    "mcpServers not an object": ('{"mcpServers": ["a"]}', '"mcpServers" must be an object', None),
    "entry not an object": ('{"mcpServers": {"a": ["npx"]}}', 'connector "a" must be an object, not a list', None),
    "non-string env": (
        '{"mcpServers": {"a": {"command": "x", "env": {"PORT": 5000}}}}',
        'connector "a" has env value "PORT" that is a number, not text',
        "put the non-text env values in quotes",
    ),
    "not utf-8": (b'{"mcpServers": {"\xff": {}}}', "is not UTF-8 text", None),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", [["list"], ["add", "new", "--", "x"], ["disable", "a"], ["enable", "a"]])
def test_bad_config_is_reported_in_one_line_and_never_written(case, command, claude_config, capsys):
    content, expected, repair = BAD[case]
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    claude_config.write_bytes(data)
    before = os.stat(claude_config)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"plugboard: {claude_config}")
    assert expected in err
    if repair:
        assert f"run `plugboard repair` to {repair}" in err
    assert claude_config.read_bytes() == data
    assert os.stat(claude_config).st_mtime_ns == before.st_mtime_ns


def test_a_folder_in_place_of_the_file_is_reported(claude_config, capsys):
    claude_config.mkdir()
    assert main(["list"]) == 1
    assert "is a folder, not a file" in capsys.readouterr().err


def test_permission_denied_is_reported_without_writing(claude_config, capsys, monkeypatch):
    claude_config.write_text('{"mcpServers": {}}')
    if os.geteuid() != 0:
        claude_config.chmod(0)
    else:  # root reads any file: simulate the denial at the same call
        real = os.open

        def denied(path, *args, **kwargs):
            if str(path) == str(claude_config):
                raise PermissionError(13, "Permission denied")
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", denied)
    assert main(["add", "x", "--", "y"]) == 1
    assert "permission denied: Plugboard cannot read it" in capsys.readouterr().err


def test_a_missing_folder_is_refused_on_write(tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "claude_desktop_config.json"
    assert main(["--config", str(target), "add", "x", "--", "y"]) == 1
    assert "its folder does not exist" in capsys.readouterr().err
    assert not target.parent.exists()


def test_repair_fixes_comments_and_trailing_commas_after_consent_and_keeps_a_backup(claude_config, capsys, monkeypatch):
    broken = '{\n  // servers\n  "mcpServers": {\n    "a": {"command": "x", "args": ["http://h/x"],},\n  },\n}'
    claude_config.write_text(broken)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["repair"]) == 1  # answered no: not applied
    assert claude_config.read_text() == broken
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    capsys.readouterr()
    assert main(["repair"]) == 0
    out = capsys.readouterr().out
    assert "remove 1 comment" in out and "remove 3 trailing commas" in out
    assert main(["list", "--json"]) == 0
    assert '"http://h/x"' in capsys.readouterr().out
    assert main(["backups"]) == 0
    assert "before-repair" in capsys.readouterr().out


def test_repair_quotes_numeric_env_values(claude_config, capsys):
    claude_config.write_text('{"mcpServers": {"a": {"command": "x", "env": {"PORT": 5000, "DEBUG": true}}}}')
    assert main(["repair", "--yes"]) == 0
    assert (
        claude_config.read_text() == '{"mcpServers": {"a": {"command": "x", "env": {"PORT": "5000", "DEBUG": "true"}}}}'
    )


def test_repair_refuses_what_it_cannot_fix(claude_config, capsys):
    claude_config.write_text('{"mcpServers": {"a"')
    assert main(["repair", "--yes"]) == 1
    assert "cannot be repaired automatically" in capsys.readouterr().err
    assert claude_config.read_text() == '{"mcpServers": {"a"'


def test_a_suggested_repair_names_the_same_config_file(tmp_path, capsys):
    other = tmp_path / "my config.json"
    other.write_text('{"mcpServers": {},}')
    assert main(["--config", str(other), "list"]) == 1
    assert f"run `plugboard --config '{other}' repair`" in capsys.readouterr().err


# -- issue 16 item 12: what used to end in a traceback, a hang or a raw terminal escape --------------------------

DEEP = "[" * 5000 + "]" * 5000


def test_a_value_nested_5000_deep_outside_the_connectors_is_read_and_kept_byte_for_byte(claude_config, capsys):
    text = '{"features": ' + DEEP + ', "mcpServers": {"a": {"command": "x"}}}'
    claude_config.write_text(text)  # Node's JSON.parse (Claude Desktop) reads this
    assert main(["list", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["a"]
    assert main(["add", "b", "--plain", "--", "y"]) == 0
    assert claude_config.read_text().startswith('{"features": ' + DEEP + ', "mcpServers": {"a":')


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"mcpServers": {"a": {"command": "x", "extra": ' + DEEP + "}}}", 'connector "a" nests lists or objects'),
        ('{"mcpServers": {"a": {"command": "x"}}, "x": ' + "[" * 5000 + "]" * 4999 + "}", "expected ',' or ']'"),
    ],
)
def test_too_deep_or_broken_deep_values_are_one_line_errors(claude_config, capsys, content, expected):
    claude_config.write_text(content)
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err


def test_integers_over_4300_digits_are_read_like_node_does_and_kept(claude_config, capsys):
    big = "9" * 5000
    text = '{"preferences": {"n": ' + big + '}, "mcpServers": {"a": {"command": "x"}}}'
    claude_config.write_text(text)
    assert main(["list", "--json"]) == 0
    assert main(["disable", "a"]) == 0
    assert main(["enable", "a"]) == 0
    assert claude_config.read_text() == text
    claude_config.write_text('{"mcpServers": {"a": {"command": "x", "env": {"N": ' + big + "}}}}")
    capsys.readouterr()
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'env value "N" that is a number, not text' in err
    assert "Exceeds the limit" not in err and "set_int_max_str_digits" not in err


def test_lone_surrogate_escapes_are_listed_escaped_not_crashed_on(claude_config, capsys):
    claude_config.write_text('{"mcpServers": {"bad\\ud800name": {"command": "x\\udfff", "args": ["\\ud83d"]}}}')
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "bad\\ud800name" in out and "x\\udfff \\ud83d" in out
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "bad\ud800name" and rows[0]["command"] == "x\udfff"


def test_names_with_terminal_escapes_or_newlines_never_reach_the_terminal_raw(claude_config, capsys):
    claude_config.write_text(
        json.dumps({"mcpServers": {"\x1b]0;pwned\x07\x1b[2J": {"command": "x"}, "two\nlines": {"command": "y\r"}}})
    )
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert out.count("\n") == 3  # the header and one line per connector
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in out and "two\\nlines" in out
    claude_config.write_text(json.dumps({"mcpServers": {"\x1b[31mred\nline": {"command": 5}}}))
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert 'connector "\\x1b[31mred\\nline" has a "command" that is not a non-empty text' in err


def test_a_link_to_a_device_is_refused_at_once_without_reading_it(claude_config, capsys):
    claude_config.symlink_to("/dev/zero")
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a device, not a file" in err


def test_a_file_far_too_large_to_be_a_config_is_refused(claude_config, capsys):
    with open(claude_config, "wb") as handle:
        handle.truncate(claude_file.MAX_CONFIG_BYTES + 1)  # sparse: costs no disk
    assert main(["list"]) == 1
    assert "is larger than 32 MB" in capsys.readouterr().err


# Every command that reads Claude's config; none may wait for a writer on a FIFO.
FIFO_COMMANDS = [
    ["list"],
    ["list", "--json"],
    ["add", "n", "--plain", "--", "x"],
    ["enable", "a"],
    ["disable", "a"],
    ["remove", "a"],
    ["repair", "--yes"],
    ["restore", "1"],
    ["doctor", "a"],
    ["logs", "a"],
    ["secure", "a"],
    ["export", "shareable", "out.json"],
]
# Each command finishes in well under a second when it does not hang; a loaded CI machine gets room.
FIFO_DEADLINE_S = 30


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_fifo_in_place_of_the_config_is_refused_by_every_command_without_hanging(tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    os.mkfifo(config)
    env = {**os.environ, "PLUGBOARD_CLAUDE_CONFIG": str(config), "PLUGBOARD_HOME": str(tmp_path / "home")}
    for command in FIFO_COMMANDS:
        done = subprocess.run(
            [sys.executable, "-m", "plugboard.cli", *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=FIFO_DEADLINE_S,
        )
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (command, done.stderr)
        assert done.stderr.count("\n") == 1, (command, done.stderr)
    assert stat.S_ISFIFO(os.stat(config).st_mode)
