"""Command resolution (PATH repair) against fake home trees: nvm, volta, homebrew, shims, and the Windows rules."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from plugboard.core.launch.resolve import CommandNotFound, child_path, nvm_default_bin, resolve_command, search_dirs


def gui_path(root: Path) -> str:
    """What a macOS GUI app gets (/usr/bin:/bin:/usr/sbin:/sbin), inside the fake root so real programs stay out."""
    return ":".join(str(root / p) for p in ("usr/bin", "bin", "usr/sbin", "sbin"))


def make_exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def nvm_tree(home: Path, versions: list[str], default: str | None) -> Path:
    for version in versions:
        make_exe(home / ".nvm" / "versions" / "node" / version / "bin" / "npx")
        make_exe(home / ".nvm" / "versions" / "node" / version / "bin" / "node")
    if default is not None:
        (home / ".nvm" / "alias").mkdir(parents=True, exist_ok=True)
        (home / ".nvm" / "alias" / "default").write_text(default + "\n")
    return home / ".nvm"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    return tmp_path / "root"


def resolve(command: str, home: Path, root: Path, path: str | None = None) -> list[str]:
    env = {"PATH": path or gui_path(root)}
    return resolve_command(command, ["-y", "pkg"], system="Darwin", env=env, home=home, root=root).argv


def test_npx_resolves_to_the_node_named_by_nvms_default_alias_not_the_oldest(home: Path, root: Path) -> None:
    nvm_tree(home, ["v16.20.2", "v18.19.0", "v20.11.1"], default="18")

    argv = resolve("npx", home, root)

    assert argv == [str(home / ".nvm/versions/node/v18.19.0/bin/npx"), "-y", "pkg"]


def test_an_nvm_alias_chain_through_lts_is_followed_to_its_version(home: Path, root: Path) -> None:
    nvm = nvm_tree(home, ["v18.19.0", "v20.11.1", "v22.1.0"], default="lts/iron")
    (nvm / "alias" / "lts").mkdir()
    (nvm / "alias" / "lts" / "iron").write_text("v20.11.1\n")

    assert nvm_default_bin(nvm) == nvm / "versions/node/v20.11.1/bin"


def test_without_a_default_alias_the_newest_nvm_node_is_used(home: Path, root: Path) -> None:
    nvm = nvm_tree(home, ["v9.11.2", "v20.11.1", "v18.19.0"], default=None)

    # Numeric, not lexical, order: v9 is older than v18.
    assert nvm_default_bin(nvm) == nvm / "versions/node/v20.11.1/bin"


def test_a_default_alias_naming_an_uninstalled_version_falls_through_to_other_places(home: Path, root: Path) -> None:
    nvm_tree(home, ["v18.19.0"], default="20")
    volta = make_exe(home / ".volta" / "bin" / "npx")

    assert resolve("npx", home, root)[0] == str(volta)


def test_volta_is_searched_when_nvm_is_absent(home: Path, root: Path) -> None:
    volta = make_exe(home / ".volta" / "bin" / "npx")

    assert resolve("npx", home, root)[0] == str(volta)


def test_homebrew_on_apple_silicon_is_searched(home: Path, root: Path) -> None:
    brew = make_exe(root / "opt" / "homebrew" / "bin" / "uvx")

    assert resolve("uvx", home, root)[0] == str(brew)


def test_path_wins_over_every_other_place(home: Path, root: Path, tmp_path: Path) -> None:
    nvm_tree(home, ["v20.11.1"], default="20")
    mine = make_exe(tmp_path / "mybin" / "npx")

    assert resolve("npx", home, root, path=f"{tmp_path / 'mybin'}:{gui_path(root)}")[0] == str(mine)


def test_user_tool_folders_and_shims_are_searched(home: Path, root: Path) -> None:
    local = make_exe(home / ".local" / "bin" / "uvx")
    cargo = make_exe(home / ".cargo" / "bin" / "some-rust-server")
    pyenv = make_exe(home / ".pyenv" / "shims" / "python3.12")
    mise = make_exe(home / ".local" / "share" / "mise" / "shims" / "bun")
    asdf = make_exe(home / ".asdf" / "shims" / "deno")

    assert resolve("uvx", home, root)[0] == str(local)
    assert resolve("some-rust-server", home, root)[0] == str(cargo)
    assert resolve("python3.12", home, root)[0] == str(pyenv)
    assert resolve("bun", home, root)[0] == str(mise)
    assert resolve("deno", home, root)[0] == str(asdf)


def test_a_file_that_is_not_executable_is_not_taken(home: Path, root: Path) -> None:
    plain = home / ".local" / "bin" / "npx"
    plain.parent.mkdir(parents=True)
    plain.write_text("not a program")

    with pytest.raises(CommandNotFound):
        resolve("npx", home, root)


def test_an_unresolvable_command_names_what_was_searched_and_what_to_install(home: Path, root: Path) -> None:
    with pytest.raises(CommandNotFound) as caught:
        resolve("npx", home, root)

    message = str(caught.value)
    assert "cannot find `npx`" in message
    assert str(home / ".volta" / "bin") in message
    assert str(root / "opt" / "homebrew" / "bin") in message
    assert "install Node.js" in message


def test_an_absolute_command_is_used_as_it_is(home: Path, root: Path, tmp_path: Path) -> None:
    exe = make_exe(tmp_path / "server")

    assert resolve(str(exe), home, root) == [str(exe), "-y", "pkg"]


def test_a_relative_path_is_refused_because_claude_may_start_us_in_the_root_folder(home: Path, root: Path) -> None:
    with pytest.raises(Exception, match="relative path"):
        resolve("./server.py", home, root)


def test_the_childs_path_starts_with_the_found_programs_folder(tmp_path: Path) -> None:
    program = tmp_path / "v20" / "bin" / "npx"

    assert child_path(program, {"PATH": f"/usr/bin:{program.parent}:/bin"}, system="Linux") == (
        f"{program.parent}:/usr/bin:/bin"
    )


def windows_env(tmp_path: Path, path: str = "") -> dict[str, str]:
    return {
        "PATH": path,
        "APPDATA": str(tmp_path / "AppData" / "Roaming"),
        "ProgramFiles": str(tmp_path / "Program Files"),
        "COMSPEC": "C:\\Windows\\System32\\cmd.exe",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD",
    }


def test_on_windows_npx_runs_through_cmd_c_with_its_absolute_path(home: Path, tmp_path: Path) -> None:
    npx = tmp_path / "Program Files" / "nodejs" / "npx.cmd"
    npx.parent.mkdir(parents=True)
    npx.write_text("@echo off\n")

    resolved = resolve_command("npx", ["-y", "pkg"], system="Windows", env=windows_env(tmp_path), home=home)

    assert resolved.argv == ["C:\\Windows\\System32\\cmd.exe", "/c", str(npx), "-y", "pkg"]


def test_on_windows_a_global_npm_package_in_appdata_is_found(home: Path, tmp_path: Path) -> None:
    shim = tmp_path / "AppData" / "Roaming" / "npm" / "mcp-server-git.cmd"
    shim.parent.mkdir(parents=True)
    shim.write_text("@echo off\n")

    resolved = resolve_command("mcp-server-git", [], system="Windows", env=windows_env(tmp_path), home=home)

    # Every batch file goes through cmd /c: CreateProcess cannot start one by itself.
    assert resolved.argv == ["C:\\Windows\\System32\\cmd.exe", "/c", str(shim)]


def test_on_windows_an_exe_on_path_starts_directly(home: Path, tmp_path: Path) -> None:
    exe = tmp_path / "tools" / "uvx.exe"
    exe.parent.mkdir(parents=True)
    exe.write_text("MZ")

    resolved = resolve_command("uvx", ["x"], system="Windows", env=windows_env(tmp_path, str(exe.parent)), home=home)

    assert resolved.argv == [str(exe), "x"]


def test_windows_search_does_not_look_in_posix_places(home: Path, tmp_path: Path) -> None:
    dirs = search_dirs("Windows", windows_env(tmp_path), home)

    assert tmp_path / "AppData" / "Roaming" / "npm" in dirs
    assert not any("homebrew" in str(d) for d in dirs)
