"""Every kind of bad input: exit 1, one line naming the file (and line/column for JSON), the file never written."""

import io
import os

import pytest

from plugboard.cli import main

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
    "entry without command": ('{"mcpServers": {"a": {"args": []}}}', 'connector "a" has no "command"', None),
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
        real = type(claude_config).read_bytes

        def denied(self):
            if self == claude_config:
                raise PermissionError(13, "Permission denied")
            return real(self)

        monkeypatch.setattr(type(claude_config), "read_bytes", denied)
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
