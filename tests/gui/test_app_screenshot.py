"""PLUGBOARD_SCREENSHOT (gui/app.py): the app saves its first frames and quits, for the package smoke tests."""

import os
import subprocess
import sys

from PySide6.QtGui import QImage

# The app starts in ~1-2 s here, then waits 1.5 s before the screenshot; 60 s is a loaded machine.
APP_TIMEOUT_S = 60.0


def test_the_app_saves_its_window_and_quits(tmp_path, claude_config):
    shot = tmp_path / "window.png"
    env = dict(os.environ, PLUGBOARD_SCREENSHOT=str(shot), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "plugboard.cli", "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 400
