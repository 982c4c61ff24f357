"""Screenshots of every page, taken from the real app on a real X server (Xvfb, xcb platform)."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

SCRIPT = Path(__file__).with_name("screenshot_app.py")
# The app runs in a few seconds. A generous bound for a loaded 2-core machine.
APP_RUN_S = 120


def test_every_page_renders_on_a_real_x_server(xvfb_display, tmp_path):
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "shots")],
        env=env,
        capture_output=True,
        text=True,
        timeout=APP_RUN_S,
    )
    assert done.returncode == 0, done.stderr
    pages = ["connectors", "logs", "remote", "settings"]
    assert done.stdout.split() == sorted(f"{page}-{theme}.png" for page in pages for theme in ("dark", "light"))
    for name in done.stdout.split():
        image = QImage(str(tmp_path / "shots" / name))
        assert (image.width(), image.height()) == (1080, 600)
        # Not a blank window: many distinct colours (text, table, icons).
        colours = {image.pixel(x, y) for x in range(0, 1080, 7) for y in range(0, 600, 7)}
        assert len(colours) > 20, name
    for page in pages:  # the dark picture is darker than the light one
        light, dark = (QImage(str(tmp_path / "shots" / f"{page}-{t}.png")) for t in ("light", "dark"))
        assert dark.pixelColor(540, 300).lightness() < light.pixelColor(540, 300).lightness(), page
