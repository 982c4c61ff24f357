"""Claude's config file: the lossless document, connectors and parking, backups, repair, undo, the apply flow.

Depends on claude/ (discovery, restart) and secrets/; never on launch, bridge, tunnel or probe.
"""
