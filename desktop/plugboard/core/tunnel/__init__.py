"""Managed SSH tunnels (paramiko): profiles, host keys and consent, session, forwards, liveness watchdog, reconnects,
the app's set of live tunnels (live), and `tunnel up` / `down` across processes (control).

Knows nothing of Claude's config, connectors or the bridge; uses only the shared core modules and secrets/.
"""
