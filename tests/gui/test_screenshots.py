"""Screenshots of every page, taken from the real app on a real X server (Xvfb, xcb platform)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

SCRIPT = Path(__file__).with_name("screenshot_app.py")
# Xvfb is up in well under a second; the app in a few. Generous bounds for a loaded 2-core machine.
XVFB_START_S = 20
APP_RUN_S = 120


@pytest.fixture
def xvfb_display(tmp_path):
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: run `bash scripts/setup.sh check`", pytrace=False)
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number when it is ready to accept clients.
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as ready:
            import select

            assert select.select([ready], [], [], XVFB_START_S)[0], "Xvfb did not start"
            display = ready.readline().strip()
        yield f":{display}"
    finally:
        proc.terminate()
        proc.wait(10)


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
    assert done.stdout.split() == ["connectors.png", "logs.png", "remote.png", "settings.png"]
    for name in done.stdout.split():
        image = QImage(str(tmp_path / "shots" / name))
        assert (image.width(), image.height()) == (1080, 540)
        # Not a blank window: many distinct colours (text, table, icons).
        colours = {image.pixel(x, y) for x in range(0, 1080, 7) for y in range(0, 540, 7)}
        assert len(colours) > 20, name
