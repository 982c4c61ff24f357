"""Managed SSH tunnels (paramiko): profiles, host keys, session, forwards, liveness watchdog, reconnects.

Knows nothing of Claude's config, connectors or the bridge; uses only the shared core modules and secrets/.
"""
