"""The layering rules CI enforces, checked from the code itself (STYLE.md §1, DESIGN.md "Layers").

- `plugboard.core` imports no Qt and not the GUI: an AST scan of every core module (catches imports
  inside functions, which only run sometimes) and a fresh interpreter that imports every core module
  and then looks at `sys.modules` (catches what the scan cannot see, e.g. a dependency pulling Qt in).
- `plugboard run` and `plugboard proxy` are what Claude Desktop starts for every connector, so their
  start must stay light: `--help` (which builds the whole argument parser, registering every command
  group) loads neither PySide6, httpx nor the MCP SDK — nor the bridge's OAuth stack, which a proxy
  loads only for an `--oauth` entry. `plugboard login` / `logout` are built as cheaply. Those two tests wait on the launcher and bridge
  commands: until `plugboard.commands.run` / `plugboard.commands.proxy` exist they are skipped with a
  reason saying so.

The import-linter contract in pyproject.toml states the first rule too; `scripts/check.sh` runs it as
its own stage.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import plugboard.core

CORE_DIR = Path(plugboard.core.__file__).resolve().parent
FORBIDDEN_IN_CORE = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "plugboard.gui")
# mcp 2.x speaks HTTP through its own fork, httpx2; either one would be a heavy import for a launcher start.
FORBIDDEN_AT_LAUNCHER_START = ("PySide6", "shiboken6", "httpx", "httpx2", "mcp")
# The OAuth client (and what it pulls in: filelock, keyring) is for `--oauth` entries only.
OAUTH_STACK = ("plugboard.core.bridge.oauth", "keyring", "filelock", "webbrowser")
# A fresh interpreter importing the core (or building the CLI parser) takes about a second here; 60 s is a
# machine under heavy load, not a slow import.
SUBPROCESS_TIMEOUT_S = 60.0


def _is_forbidden(module: str, forbidden: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in forbidden)


def _core_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(CORE_DIR.rglob("*.py")):
        parts = list(path.relative_to(CORE_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(["plugboard.core", *parts])] = path
    return modules


def _imported_names(module: str, path: Path) -> set[str]:
    """Every module an import statement in the file names, relative imports resolved."""
    is_package = path.name == "__init__.py"
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


def test_no_core_module_has_an_import_statement_for_qt_or_the_gui() -> None:
    modules = _core_modules()
    assert "plugboard.core.paths" in modules  # the scan really sees the core

    offenders = {
        module: sorted(name for name in _imported_names(module, path) if _is_forbidden(name, FORBIDDEN_IN_CORE))
        for module, path in modules.items()
    }

    assert {module: names for module, names in offenders.items() if names} == {}


def test_the_relative_import_resolver_sees_a_gui_import_written_relatively(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from ..gui import window\nfrom . import paths\n", encoding="utf-8")

    names = _imported_names("plugboard.core.sample", sample)

    assert "plugboard.gui.window" in names
    assert _is_forbidden("plugboard.gui.window", FORBIDDEN_IN_CORE)
    assert not _is_forbidden("plugboard.core.paths", FORBIDDEN_IN_CORE)


IMPORT_EVERY_CORE_MODULE = """
import importlib, json, pkgutil, sys
import plugboard.core
names = ["plugboard.core"] + [
    info.name for info in pkgutil.walk_packages(plugboard.core.__path__, "plugboard.core.")
]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def test_importing_every_core_module_loads_no_qt() -> None:
    result = _run_python(IMPORT_EVERY_CORE_MODULE)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    assert set(_core_modules()) <= set(report["imported"])
    assert [m for m in report["modules"] if _is_forbidden(m, FORBIDDEN_IN_CORE)] == []


# Runs the real CLI entry point with argv, then reports loaded modules in a file (stdout carries --help).
CLI_START_PROBE = """
import json, sys
from plugboard.cli import main
report, argv = sys.argv[1], sys.argv[2:]
try:
    code = main(argv)
except SystemExit as exc:
    code = exc.code
with open(report, "w", encoding="utf-8") as out:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, out)
"""


def _cli_start(tmp_path: Path, *argv: str) -> tuple[dict[str, object], str]:
    report = tmp_path / "modules.json"
    result = _run_python(CLI_START_PROBE, str(report), *argv)
    assert result.returncode == 0, result.stderr
    return json.loads(report.read_text(encoding="utf-8")), result.stdout


def _require_command(group: str, waits_on: str) -> None:
    assert importlib.util.find_spec(f"plugboard.commands.{group}") is not None, (
        f"{waits_on}: plugboard.commands.{group}"
    )


@pytest.mark.parametrize(
    ("group", "waits_on"),
    [("run", "the launcher"), ("proxy", "the stdio→HTTP bridge")],
)
def test_the_launcher_and_bridge_start_without_qt_httpx_or_the_mcp_sdk(
    group: str, waits_on: str, tmp_path: Path
) -> None:
    _require_command(group, waits_on)

    report, help_text = _cli_start(tmp_path, group, "--help")

    assert report["exit"] == 0
    assert f"plugboard {group}" in help_text
    modules = report["modules"]
    assert isinstance(modules, list)
    assert [m for m in modules if _is_forbidden(m, FORBIDDEN_AT_LAUNCHER_START)] == []


@pytest.mark.parametrize("argv", [("proxy", "--help"), ("login", "--help"), ("logout", "--help")])
def test_the_oauth_stack_is_not_loaded_to_start_the_proxy_or_build_the_sign_in_commands(
    argv: tuple[str, ...], tmp_path: Path
) -> None:
    report, _help = _cli_start(tmp_path, *argv)

    assert report["exit"] == 0
    modules = report["modules"]
    assert isinstance(modules, list)
    assert [m for m in modules if _is_forbidden(m, OAUTH_STACK + FORBIDDEN_AT_LAUNCHER_START)] == []


def test_the_cli_start_probe_notices_a_heavy_import(tmp_path: Path) -> None:
    # The probe itself must be able to fail: importing httpx before the CLI runs has to show up in its report.
    report_path = tmp_path / "modules.json"
    result = _run_python("import httpx\n" + CLI_START_PROBE, str(report_path), "--help")
    assert result.returncode == 0, result.stderr
    modules = json.loads(report_path.read_text(encoding="utf-8"))["modules"]

    assert "httpx" in [m for m in modules if _is_forbidden(m, FORBIDDEN_AT_LAUNCHER_START)]
