"""Start at login per OS (files only; the Windows registry is not reachable here) and settings persistence."""

import plistlib

from plugboard.core.autostart import autostart_enabled, set_autostart
from plugboard.core.settings import Settings


def test_linux_start_at_login_is_an_autostart_desktop_entry(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    set_autostart(True, ["/opt/plug board/plugboard"], system="Linux", env=env, home=tmp_path)
    entry = (tmp_path / "cfg/autostart/plugboard.desktop").read_text()
    assert "Exec='/opt/plug board/plugboard' gui" in entry
    assert autostart_enabled("Linux", env, tmp_path)
    set_autostart(False, ["x"], system="Linux", env=env, home=tmp_path)
    assert not autostart_enabled("Linux", env, tmp_path)


def test_macos_start_at_login_is_a_launch_agent(tmp_path):
    set_autostart(
        True, ["/Applications/Plugboard.app/Contents/MacOS/plugboard"], system="Darwin", env={}, home=tmp_path
    )
    agent = plistlib.loads((tmp_path / "Library/LaunchAgents/app.plugboard.plist").read_bytes())
    assert agent["RunAtLoad"] is True
    assert agent["ProgramArguments"] == ["/Applications/Plugboard.app/Contents/MacOS/plugboard"]


def test_settings_are_saved_in_the_store_and_read_back():
    settings = Settings.load()
    assert settings.close_to_tray is True and settings.log_retention_days == 14
    settings.close_to_tray = False
    settings.log_retention_days = 3
    settings.save()
    again = Settings.load()
    assert (again.close_to_tray, again.log_retention_days) == (False, 3)
