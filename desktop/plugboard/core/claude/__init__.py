"""Claude Desktop as an application: where its files are (incl. MSIX), its process, quit and relaunch, first run.

Knows nothing of connectors or their config edits (config/ uses this package, never the other way).
"""
