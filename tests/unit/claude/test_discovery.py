"""Finding Claude's config on every OS, with fake home and environment trees."""

from pathlib import Path

from plugboard.core.claude.discovery import discover


def test_macos_uses_application_support(tmp_path):
    found = discover(system="Darwin", env={}, home=tmp_path)
    assert found.path == tmp_path / "Library/Application Support/Claude/claude_desktop_config.json"
    assert found.logs_dir == tmp_path / "Library/Logs/Claude"
    assert found.source == "macos"


def test_linux_uses_xdg_config_home_or_dot_config(tmp_path):
    assert (
        discover(system="Linux", env={}, home=tmp_path).path == tmp_path / ".config/Claude/claude_desktop_config.json"
    )
    xdg = tmp_path / "xdg"
    found = discover(system="Linux", env={"XDG_CONFIG_HOME": str(xdg)}, home=tmp_path)
    assert found.path == xdg / "Claude/claude_desktop_config.json"
    assert found.logs_dir == xdg / "Claude/logs"


def _windows_env(tmp_path: Path) -> dict[str, str]:
    return {"APPDATA": str(tmp_path / "AppData/Roaming"), "LOCALAPPDATA": str(tmp_path / "AppData/Local")}


def test_windows_classic_uses_appdata(tmp_path):
    found = discover(system="Windows", env=_windows_env(tmp_path), home=tmp_path)
    assert found.path == tmp_path / "AppData/Roaming/Claude/claude_desktop_config.json"
    assert found.source == "windows"
    assert found.warnings == ()


def test_windows_msix_is_preferred_when_its_package_folder_exists(tmp_path):
    package = tmp_path / "AppData/Local/Packages/Claude_pzs8sxrjxfjjc"
    (package / "LocalCache/Roaming/Claude").mkdir(parents=True)
    found = discover(system="Windows", env=_windows_env(tmp_path), home=tmp_path)
    assert found.path == package / "LocalCache/Roaming/Claude/claude_desktop_config.json"
    assert found.logs_dir == package / "LocalCache/Roaming/Claude/logs"
    assert found.source == "windows-msix"
    assert found.warnings == ()


def test_windows_msix_with_a_classic_twin_is_reported(tmp_path):
    package = tmp_path / "AppData/Local/Packages/Claude_pzs8sxrjxfjjc"
    package.mkdir(parents=True)
    classic = tmp_path / "AppData/Roaming/Claude/claude_desktop_config.json"
    classic.parent.mkdir(parents=True)
    classic.write_text("{}")
    found = discover(system="Windows", env=_windows_env(tmp_path), home=tmp_path)
    assert found.source == "windows-msix"
    assert len(found.warnings) == 1
    assert "Two Claude config files exist" in found.warnings[0]
    assert str(classic) in found.warnings[0]


def test_explicit_path_wins_over_the_environment_which_wins_over_the_os_default(tmp_path):
    env = {"PLUGBOARD_CLAUDE_CONFIG": str(tmp_path / "env.json")}
    assert discover(str(tmp_path / "flag.json"), system="Linux", env=env, home=tmp_path).source == "--config"
    found = discover(system="Linux", env=env, home=tmp_path)
    assert (found.path, found.source) == (tmp_path / "env.json", "PLUGBOARD_CLAUDE_CONFIG")
