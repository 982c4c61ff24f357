"""Connector secrets: the OS keyring (and the launcher's fast Secret Service path), and the rule for what looks secret.

The lowest core package after the shared modules: it imports nothing of config, launch, bridge, probe or the GUI.
"""
