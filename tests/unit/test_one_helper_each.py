"""Helpers that two modules used to carry each in their own copy now live once (review finding: copies drift).

Checked from the code: the modules that used to hold a copy define none, and call the shared helper.
"""

from __future__ import annotations

import ast
from pathlib import Path

import plugboard

PACKAGE = Path(plugboard.__file__).resolve().parent


def _defined_functions(relative: str) -> set[str]:
    tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def _imported(relative: str) -> set[str]:
    tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_signal_names_process_groups_and_fd_writes_have_one_helper_each() -> None:
    for module in ("core/launcher.py", "core/supervisor.py"):
        assert "_signal_name" not in _defined_functions(module), module
        assert "plugboard.core.status.signal_name" in _imported(module), module
        assert "plugboard.core.process_group.signal_group" in _imported(module), module
    assert "_signal_group" not in _defined_functions("core/supervisor.py")
    assert "_write_all" not in _defined_functions("core/proxy_run.py")
    for module in ("core/launcher.py", "core/proxy_run.py"):
        assert "plugboard.core.fd_io.write_all" in _imported(module), module


def test_tunnel_secrets_are_read_with_the_shared_hidden_prompt() -> None:
    assert "plugboard.commands.prompts.read_hidden" in _imported("commands/tunnel.py")
    assert "getpass.getpass" not in (PACKAGE / "commands/tunnel.py").read_text(encoding="utf-8")


def test_the_supervisor_has_no_secret_rule_of_its_own() -> None:
    source = (PACKAGE / "core/supervisor.py").read_text(encoding="utf-8")
    assert "SECRET_NAME_RE" not in source
    assert "plugboard.core.clients.looks_secret" in _imported("core/supervisor.py")
