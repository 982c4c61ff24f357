"""Managed SSH tunnels (paramiko): profiles, host keys, forwards, liveness watchdog, reconnects."""
