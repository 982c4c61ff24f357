"""Entry point of the bundle's `plugboard` command (console, no Qt): Claude Desktop starts it for every connector."""

import os
import sys

# PyInstaller's bootloader leaves its own state in the environment, for this process's children to inherit: the
# bundle's library folder first on LD_LIBRARY_PATH (the old value kept in LD_LIBRARY_PATH_ORIG) and _PYI_* variables
# (archive, process level). Our children are the user's servers (node, python, uvx, another frozen program…), the
# app started from the command, and Claude Desktop: they must load their own libraries and must not take themselves
# for a PyInstaller child. This process read LD_LIBRARY_PATH when it started, so changing it here changes only what
# children get. The smoke tests check a server started through the launcher sees neither.
if getattr(sys, "frozen", False):
    _original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if _original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _original
    for _name in [name for name in os.environ if name.startswith("_PYI_")]:
        del os.environ[_name]

from plugboard.cli import main

raise SystemExit(main())
