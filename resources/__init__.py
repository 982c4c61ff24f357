"""Package data for Plugboard: icons, catalog data, the .desktop file, styles.

Installed as ``plugboard.resources``; read it with ``importlib.resources.files("plugboard.resources")``.
"""
