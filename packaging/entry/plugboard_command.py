"""Entry point of the bundle's `plugboard` command (console, no Qt): Claude Desktop starts it for every connector."""

from plugboard.cli import main

raise SystemExit(main())
