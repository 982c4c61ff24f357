"""Trying a connector here: the supervisor that starts one server, the doctor, plain-words diagnosis.

The top of core with clients/: may use every other core package; nothing in core imports it.
"""
