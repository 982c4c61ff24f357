"""Entry point of the bundle's windowed app (`plugboard-app`): the same command line, opening the app by default."""

import sys

from plugboard.cli import main

raise SystemExit(main(sys.argv[1:] or ["gui"]))
