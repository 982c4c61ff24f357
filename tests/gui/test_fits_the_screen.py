"""The window on a 1366×768 laptop screen at 150 % and 200 % (QT_SCALE_FACTOR), on a real X server (Xvfb): the
window, and every control of every page, lie inside the screen's available area. One process per scale factor
(Qt reads the factor once, at start); tests/gui/fit_app.py opens the real window and reports the geometry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("fit_app.py")
# The app opens in a few seconds; generous for a loaded 2-core machine.
APP_RUN_S = 120


def inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


@pytest.fixture(params=["1", "1.5", "2"], ids=["100%", "150%", "200%"])
def report(request, laptop_display, tmp_path):
    env = dict(os.environ, DISPLAY=laptop_display, QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=request.param)
    env.pop("WAYLAND_DISPLAY", None)
    env["PLUGBOARD_HOME"] = str(tmp_path / "home")
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=APP_RUN_S)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_window_and_every_control_of_every_page_lie_inside_the_screen(report):
    area = report["available"]
    assert report["pages"].keys() == {"Connectors", "Logs", "Remote", "Settings"}
    for title, page in report["pages"].items():
        assert inside(page["frame"], area), (title, page["frame"], area)
        outside = [(name, r) for name, r in page["controls"] if not inside(r, area)]
        assert outside == [], title
        assert len(page["controls"]) >= 4, title  # the header's and the page's controls were found


def test_every_switch_on_the_connectors_page_lies_inside_the_screen(report):
    area = report["available"]
    page = report["pages"]["Connectors"]
    assert len(page["switches"]) == 5
    outside = [r for r in page["switches"] if not inside(r, area)]
    assert outside == []
    assert [(n, r) for n, r in page["controls"] if not inside(r, area)] == []
