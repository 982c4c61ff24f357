"""Plugboard's own ways with files: `atomic` (replace a file whole, or leave the old one), `fd_io` (write to an
inherited descriptor; read a small file without hanging on a pipe or filling the memory), `locking` (the edit lock
every writer of Claude's file and of the store takes) and `store` (Plugboard's one JSON file).

The bottom of the core: imports only `errors` and `paths`, never a core package.
"""
