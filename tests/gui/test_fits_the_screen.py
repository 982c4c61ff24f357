"""The window on a 1366×768 laptop screen at 150 % and 200 % (QT_SCALE_FACTOR), on a real X server (Xvfb): the
window, every control of every page, and every dialog with the button that finishes it, lie inside the screen's
available area. One process per scale factor (Qt reads the factor once, at start); tests/gui/fit_app.py opens the
real window and tests/gui/fit_dialogs.py each dialog, and they report the geometry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("fit_app.py")
DIALOGS_SCRIPT = Path(__file__).with_name("fit_dialogs.py")
DIALOGS = {"edit connector", "add connector", "catalog", "catalog form", "remote wizard", "tunnel", "backups", "import"}
# The app opens in a few seconds; generous for a loaded 2-core machine.
APP_RUN_S = 120


def inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


def run(script: Path, scale: str, display: str, home: Path) -> dict:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale)
    env.pop("WAYLAND_DISPLAY", None)
    env["PLUGBOARD_HOME"] = str(home)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=APP_RUN_S)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["1", "1.5", "2"], ids=["100%", "150%", "200%"])
def report(request, laptop_display, tmp_path):
    return run(SCRIPT, request.param, laptop_display, tmp_path / "home")


@pytest.fixture(params=["1.5", "2"], ids=["150%", "200%"])
def dialogs(request, laptop_display, tmp_path):
    return run(DIALOGS_SCRIPT, request.param, laptop_display, tmp_path / "home")


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


def test_every_dialog_and_the_button_that_finishes_it_lie_inside_the_screen(dialogs):
    area = dialogs["available"]
    assert dialogs["dialogs"].keys() == DIALOGS
    outside = {title: d["frame"] for title, d in dialogs["dialogs"].items() if not inside(d["frame"], area)}
    assert outside == {}, area
    unreachable = {title: d["button"] for title, d in dialogs["dialogs"].items() if not inside(d["button"][1], area)}
    assert unreachable == {}, area
    finishing = {title: d["button"][0].replace("&", "") for title, d in dialogs["dialogs"].items()}
    assert finishing == {
        "edit connector": "Save",
        "add connector": "Save",
        "catalog": "Cancel",
        "catalog form": "Add",
        "remote wizard": "Next >",
        "tunnel": "Save",
        "backups": "Put back",
        "import": "Import",
    }
