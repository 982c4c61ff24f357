"""Claude's config file: the lossless document, connectors and parking, backups, repair, undo, the apply flow, and the
rules for adding and editing a connector (adding, form) and for moving plaintext values to the keyring (secure).

Depends on claude/ (discovery, restart) and secrets/; never on launch, bridge, tunnel or probe.
"""
