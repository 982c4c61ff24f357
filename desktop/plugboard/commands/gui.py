"""`plugboard gui` (and `plugboard` with no command): open the desktop app. Qt is imported only here.

In the packaged app the `plugboard` command is built without Qt (packaging/plugboard.spec: Claude Desktop starts it
for every connector, and Qt would slow each start); there it hands over to the windowed app beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("gui", parents=parents, help="open the Plugboard app (the default)")
    p.set_defaults(handler=open_app)


def open_app(args: argparse.Namespace) -> int:
    from plugboard.core.install import app_executable

    config = getattr(args, "config", None)
    app = app_executable()
    if app is not None and importlib.util.find_spec("PySide6") is None:
        argv = [str(app), "gui", *(["--config", config] if config else [])]
        if os.name == "posix":
            os.execv(app, argv)  # noqa: S606 - the app takes this process's place: same terminal, same exit status
        subprocess.Popen(argv, close_fds=True)  # Windows: the windowed app has no console to share
        return 0
    from plugboard.gui.app import run_app

    return run_app(config)
