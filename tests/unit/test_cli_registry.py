"""The `plugboard` command's registry of sub-command groups is explicit (cli.py says why): every group is listed,
and a group that cannot be imported is an error, never a shorter `--help`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import plugboard.commands
from plugboard import cli

COMMANDS_DIR = Path(plugboard.commands.__file__).resolve().parent


def _modules_with_register() -> set[str]:
    found = set()
    for path in COMMANDS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "register" for node in tree.body):
            found.add(path.stem)
    return found


def test_every_command_group_module_is_in_the_registry():
    registered = {module.__name__.rsplit(".", 1)[1] for module in cli._all_groups()}
    assert "run" in registered and "relink" in registered
    assert registered == _modules_with_register()


def test_the_registry_imports_its_groups_by_written_statements_a_freezer_can_follow():
    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    written = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "plugboard.commands"
        for alias in node.names
    }
    assert written == _modules_with_register()
    assert "importlib" not in {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }


def test_a_group_that_cannot_be_imported_is_an_error_not_a_missing_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "plugboard.commands.tunnel", None)  # what a frozen build without it would see
    monkeypatch.delattr(plugboard.commands, "tunnel", raising=False)
    with pytest.raises(ImportError):
        cli.build_parser()


def test_the_fast_paths_build_only_their_own_group():
    for verb in ("run", "proxy"):
        parser = cli.build_parser(verb)
        choices = next(a for a in parser._actions if a.dest == "command").choices
        assert list(choices) == [verb]


def test_an_unknown_option_is_refused_by_the_sub_command_it_was_given_to(capsys):
    import pytest

    from plugboard import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["list", "--jsn"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: plugboard list ") and "plugboard list: error: unrecognized arguments: --jsn" in err
    with pytest.raises(SystemExit):
        cli.main(["tunnel", "status", "--x"])
    assert "plugboard tunnel status: error: unrecognized arguments: --x" in capsys.readouterr().err
