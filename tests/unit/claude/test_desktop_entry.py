"""Reading desktop entries and their Exec lines, as used to relaunch Linux builds of Claude Desktop."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugboard.core.claude.desktop_entry import DesktopEntry, find_entry, program_of, read_entry, split_exec


def entry_file(base: Path, name: str, body: str) -> Path:
    apps = base / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    path = apps / name
    path.write_text("[Desktop Entry]\nType=Application\n" + body)
    return path


def env_for(tmp_path: Path, path_dir: Path | None = None) -> dict[str, str]:
    return {
        "XDG_DATA_HOME": str(tmp_path / "home-share"),
        "XDG_DATA_DIRS": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
        "PATH": str(path_dir or tmp_path / "empty-bin"),
    }


def test_exec_quoting_follows_the_desktop_entry_spec():
    line = r'"/opt/My Apps/claude" --title "say \"hi\" for \$5" plain\sarg %U'
    assert split_exec(line) == ["/opt/My Apps/claude", "--title", 'say "hi" for $5', "plain", "arg", "%U"]


def test_an_unterminated_quote_is_refused():
    with pytest.raises(ValueError, match="unterminated quote"):
        split_exec('"/opt/claude --flag')


def test_field_codes_are_expanded_for_a_launch_without_files(tmp_path):
    entry = DesktopEntry(
        path=tmp_path / "c.desktop",
        exec_line="claude %u %F --name=%c %i --pct=100%% --from %k",
        name="Claude",
        icon="claude",
    )
    assert entry.argv() == [
        "claude", "--name=Claude", "--icon", "claude", "--pct=100%", "--from", str(tmp_path / "c.desktop"),
    ]  # fmt: skip


def test_the_user_data_folder_hides_a_system_entry_with_the_same_id(tmp_path):
    entry_file(tmp_path / "a", "claude-desktop.desktop", "Exec=/usr/bin/claude-desktop %u\n")
    entry_file(tmp_path / "home-share", "claude-desktop.desktop", "Exec=/home/ada/bin/claude-desktop\n")
    found = find_entry(env=env_for(tmp_path), home=tmp_path, ids=("claude-desktop.desktop",))
    assert found is not None
    assert found.argv() == ["/home/ada/bin/claude-desktop"]


def test_hidden_entries_and_entries_whose_tryexec_is_missing_count_as_absent(tmp_path):
    hidden = entry_file(tmp_path / "a", "one.desktop", "Exec=claude-desktop\nHidden=true\n")
    missing = entry_file(tmp_path / "a", "two.desktop", "Exec=claude-desktop\nTryExec=/nonexistent/claude\n")
    fine = entry_file(tmp_path / "a", "three.desktop", "Exec=claude-desktop\nTryExec=/bin/sh\n")
    assert read_entry(hidden, {}) is None
    assert read_entry(missing, {}) is None
    assert read_entry(fine, {}) is not None


def test_keys_of_other_groups_are_ignored(tmp_path):
    path = entry_file(
        tmp_path / "a",
        "claude-desktop.desktop",
        "Exec=claude-desktop %u\n\n[Desktop Action new-chat]\nExec=claude-desktop --new-chat\n",
    )
    entry = read_entry(path, {})
    assert entry is not None
    assert entry.argv() == ["claude-desktop"]


def test_an_entry_running_the_found_executable_wins_over_the_well_known_name(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "claude-appimage"
    exe.write_text("")
    exe.chmod(0o755)
    entry_file(tmp_path / "a", "claude-desktop.desktop", "Exec=/usr/bin/claude-desktop %u\n")
    entry_file(
        tmp_path / "b", "appimagekit-claude.desktop", "Exec=env GDK_BACKEND=x11 claude-appimage --no-sandbox %U\n"
    )
    found = find_entry(
        env=env_for(tmp_path, bin_dir), home=tmp_path, ids=("claude-desktop.desktop",), executable=str(exe)
    )
    assert found is not None
    assert found.path.name == "appimagekit-claude.desktop"
    assert program_of(found, env_for(tmp_path, bin_dir)) == str(exe.resolve())


def test_without_ids_only_an_entry_running_the_executable_is_found(tmp_path):
    entry_file(tmp_path / "a", "claude-desktop.desktop", "Exec=/usr/bin/claude-desktop %u\n")
    assert find_entry(env=env_for(tmp_path), home=tmp_path, executable=str(tmp_path / "other")) is None


def test_default_data_folders_are_used_when_xdg_variables_are_unset(tmp_path):
    entry_file(tmp_path / ".local" / "share", "claude-desktop.desktop", "Exec=claude-desktop\n")
    found = find_entry(env={"XDG_DATA_DIRS": str(tmp_path / "none")}, home=tmp_path, ids=("claude-desktop.desktop",))
    assert found is not None
    assert found.path.parent.parent == tmp_path / ".local" / "share"
