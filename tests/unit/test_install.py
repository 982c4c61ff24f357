"""The per-user command path (core/install.py), with real files: links, copies, moves, foreign files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from plugboard.core import install
from plugboard.core.config import claude_file
from plugboard.core.errors import PlugboardError
from plugboard.core.paths import plugboard_dirs

LINUX = "Linux"


def _program(folder: Path, name: str = "plugboard", text: str = "#!/bin/sh\nexit 0\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(text)
    program.chmod(0o755)
    return program


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No PLUGBOARD_HOME: the system's own place under a temporary home."""
    return {"LOCALAPPDATA": str(tmp_path / "home" / "AppData" / "Local")}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_the_shim_lives_where_each_system_keeps_per_user_programs(env, home):
    assert install.shim_path(LINUX, env, home) == home / ".local" / "bin" / "plugboard"
    assert install.shim_path("Darwin", env, home) == (
        home / "Library" / "Application Support" / "Plugboard" / "bin" / "plugboard"
    )
    assert install.shim_path("Windows", env, home) == Path(env["LOCALAPPDATA"]) / "Plugboard" / "bin" / "plugboard.exe"


def test_plugboard_home_moves_the_shim_with_every_other_file(home, tmp_path):
    assert (
        install.shim_path(LINUX, {"PLUGBOARD_HOME": str(tmp_path / "pb")}, home)
        == tmp_path / "pb" / "bin" / "plugboard"
    )


def test_repair_links_the_shim_to_the_install_and_follows_the_install_when_it_moves(env, home, tmp_path):
    program = _program(tmp_path / "opt" / "plugboard")
    shim = install.repair_shim(program, system=LINUX, env=env, home=home)
    assert shim.status == "ok"
    assert shim.path.is_symlink() and shim.path.resolve() == program.resolve()

    moved = tmp_path / "elsewhere"
    program.parent.rename(moved)
    assert install.check_shim(moved / "plugboard", system=LINUX, env=env, home=home).status == "broken"

    again = install.repair_shim(moved / "plugboard", system=LINUX, env=env, home=home)
    assert again.status == "ok"
    assert again.path.resolve() == (moved / "plugboard").resolve()
    assert [p.name for p in again.path.parent.iterdir()] == ["plugboard"]  # no temporary link left behind


def test_building_an_entry_never_takes_a_working_shim_from_another_install(env, home, tmp_path):
    first = _program(tmp_path / "first")
    second = _program(tmp_path / "second")
    install.repair_shim(first, system=LINUX, env=env, home=home)

    command = install.entry_command(system=LINUX, env=env, home=home, install=second)

    shim = install.shim_path(LINUX, env, home)
    assert command == str(shim)
    assert shim.resolve() == first.resolve()
    assert install.check_shim(second, system=LINUX, env=env, home=home).status == "elsewhere"
    # Opening the app (take_over) makes the Plugboard opened last the one Claude uses.
    assert install.repair_shim(second, system=LINUX, env=env, home=home).status == "ok"
    assert shim.resolve() == second.resolve()


def test_a_file_plugboard_did_not_make_is_left_alone_and_entries_name_the_install(env, home, tmp_path):
    program = _program(tmp_path / "opt")
    foreign = _program(home / ".local" / "bin", text="#!/bin/sh\necho pip --user\n")

    assert install.repair_shim(program, system=LINUX, env=env, home=home).status == "foreign"
    assert foreign.read_text() == "#!/bin/sh\necho pip --user\n"
    assert install.entry_command(system=LINUX, env=env, home=home, install=program) == str(program)


def test_a_shim_that_cannot_be_created_is_a_plain_error(env, home, tmp_path):
    program = _program(tmp_path / "opt")
    home.mkdir()
    (home / ".local").write_text("a file where a folder should be")
    with pytest.raises(PlugboardError, match=r"cannot create .*plugboard, the command path Claude Desktop uses"):
        install.repair_shim(program, system=LINUX, env=env, home=home)


def test_each_entry_path_is_told_apart(env, home, tmp_path):
    program = _program(tmp_path / "opt")
    other = _program(tmp_path / "old-venv" / "bin")
    install.repair_shim(program, system=LINUX, env=env, home=home)

    def state(command: Path | str) -> str:
        return install.link_state(str(command), system=LINUX, env=env, home=home, install=program)

    assert state(install.shim_path(LINUX, env, home)) == "current"
    assert state(program) == "direct"
    assert state(other) == "other"
    assert state(tmp_path / "deleted" / "plugboard") == "missing"
    # A dangling shim leads nowhere: every connector using it is broken until it is repaired.
    program.unlink()
    assert state(install.shim_path(LINUX, env, home)) == "missing"


def _bundle(folder: Path) -> Path:
    """A frozen Windows bundle's layout: the command, its files, the app (not the command's), and the list."""
    program = _program(folder, "plugboard.exe", "command v1")
    _program(folder / "_internal", "python311.dll", "python")
    _program(folder / "_internal" / "keyring", "backend.pyd", "keyring")
    _program(folder / "_internal", "Qt6Core.dll", "qt: the app's, not the command's")
    _program(folder, "plugboard-app.exe", "app")
    (folder / install.COMMAND_FILES).write_text(
        "plugboard.exe\n_internal/python311.dll\n_internal/keyring/backend.pyd\n", encoding="utf-8"
    )
    return program


def test_on_windows_the_shim_is_a_copy_of_exactly_the_command_files(env, home, tmp_path):
    program = _bundle(tmp_path / "Programs" / "Plugboard")

    shim = install.repair_shim(program, system="Windows", env=env, home=home)

    assert shim.status == "ok"
    copied = sorted(str(p.relative_to(shim.path.parent)).replace(os.sep, "/") for p in shim.path.parent.rglob("*"))
    assert copied == [
        "_internal",
        "_internal/keyring",
        "_internal/keyring/backend.pyd",
        "_internal/python311.dll",
        install.SHIM_RECORD,
        "plugboard.exe",
    ]
    assert shim.path.read_text() == "command v1"
    record = json.loads((shim.path.parent / install.SHIM_RECORD).read_text())
    assert Path(record["source"]) == program.parent.resolve()


def test_on_windows_an_update_of_the_install_makes_the_copy_stale_until_repaired(env, home, tmp_path):
    program = _bundle(tmp_path / "Programs" / "Plugboard")
    install.repair_shim(program, system="Windows", env=env, home=home)

    program.write_text("command v2")
    os.utime(program, ns=(1, 1))  # a different size is enough; a different time too

    assert install.check_shim(program, system="Windows", env=env, home=home).status == "broken"
    shim = install.repair_shim(program, system="Windows", env=env, home=home)
    assert shim.status == "ok"
    assert shim.path.read_text() == "command v2"


def test_on_windows_the_copy_of_a_removed_install_is_broken_and_another_install_is_elsewhere(env, home, tmp_path):
    old = _bundle(tmp_path / "old")
    new = _bundle(tmp_path / "new")
    install.repair_shim(old, system="Windows", env=env, home=home)
    assert install.check_shim(new, system="Windows", env=env, home=home).status == "elsewhere"

    for path in sorted(old.parent.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    assert install.check_shim(new, system="Windows", env=env, home=home).status == "broken"
    assert install.repair_shim(new, system="Windows", env=env, home=home, take_over=False).status == "ok"


def test_a_source_install_on_windows_copies_its_console_script_alone(env, home, tmp_path):
    script = _program(tmp_path / "venv" / "Scripts", "plugboard.exe", "console script")
    shim = install.repair_shim(script, system="Windows", env=env, home=home)
    assert shim.status == "ok"
    assert sorted(p.name for p in shim.path.parent.iterdir()) == [install.SHIM_RECORD, "plugboard.exe"]


def test_the_installed_command_behind_a_link_is_the_link_target(monkeypatch, tmp_path):
    program = _program(tmp_path / "venv" / "bin")
    shim = install.shim_path()
    shim.parent.mkdir(parents=True)
    shim.symlink_to(program)
    monkeypatch.setattr(sys, "argv", [str(shim), "run", "x"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    assert install.installed_command() == program.resolve()


def test_the_running_install_is_found_and_the_shim_made_for_entries():
    command = install.entry_command()
    assert Path(command) == install.shim_path()
    assert Path(command).resolve() == install.installed_command().resolve()


TRANSLOCATED = "/private/var/folders/xy/T/AppTranslocation/5F3A/d/Plugboard.app/Contents/MacOS/plugboard-app"


def test_translocation_is_seen_only_on_macos_and_only_in_the_translocated_path():
    assert install.translocated(TRANSLOCATED, "Darwin")
    assert not install.translocated("/Applications/Plugboard.app/Contents/MacOS/plugboard-app", "Darwin")
    assert not install.translocated(TRANSLOCATED, LINUX)


def test_while_translocated_claudes_file_and_the_shim_are_not_written(monkeypatch, claude_config, tmp_path):
    claude_config.write_text('{"mcpServers": {}}')
    monkeypatch.setattr(install.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(sys, "executable", TRANSLOCATED)
    program = _program(tmp_path / "opt")

    with pytest.raises(PlugboardError, match="Move Plugboard to the Applications folder"):
        claude_file.apply_edit(claude_config, lambda doc: '{"mcpServers": {"x": {"command": "y"}}}', plugboard_dirs())
    with pytest.raises(PlugboardError, match="Move Plugboard to the Applications folder"):
        claude_file.write_bytes(claude_config, b"{}", plugboard_dirs(), reason="test")
    with pytest.raises(PlugboardError, match="Move Plugboard to the Applications folder"):
        install.repair_shim(program)
    assert claude_config.read_text() == '{"mcpServers": {}}'
    assert not install.shim_path().exists()
