"""The Connectors page's states are pictured from the real page (tests/gui/screenshot_states.py), and each picture
shows what it should: the script runs in the test session (its throwaway keychain), offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

SCRIPT = Path(__file__).with_name("screenshot_states.py")
STATES = [
    "overview",
    "working",
    "missing-program",
    "refused-token",
    "stdout-polluter",
    "unreachable-remote",
    "plaintext-token",
    "broken-file",
    "empty",
    "narrow",
]
# Eight Tests of Python servers and one unreachable remote (its bridge waits 5 s): a minute here; 5 bound it.
RUN_S = 300


def test_every_state_of_the_page_is_pictured(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], env=env, capture_output=True, text=True, timeout=RUN_S
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [f"connectors-{s}.png" for s in STATES]
    for state in STATES:
        image = QImage(str(tmp_path / f"connectors-{state}.png"))
        assert not image.isNull(), state
        expected = (640, 340) if state == "narrow" else (900, 430)
        assert (image.width(), image.height()) == expected, state
