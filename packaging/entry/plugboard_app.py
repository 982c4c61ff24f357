"""Entry point of the bundle's windowed app (`plugboard-app`): the same command line, opening the app by default."""

import os
import sys

# PyInstaller's bootloader puts the bundle's library folder first on LD_LIBRARY_PATH (keeping the old value in
# LD_LIBRARY_PATH_ORIG) for this process's children. Our children are the user's servers (node, python, uvx…) and
# Claude Desktop itself: they must load their own system libraries, not the bundle's OpenSSL or libpython. This
# process read the variable when it started, so changing it here only changes what children get.
if getattr(sys, "frozen", False):
    _original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if _original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _original

from plugboard.cli import main

raise SystemExit(main(sys.argv[1:] or ["gui"]))
