"""`plugboard run`: the launcher, PATH resolution, process trees and their termination (the Linux keeper, the
Windows job object), status records and their watcher.

Runs inside Claude Desktop for every connector: light imports only; never imports config, bridge, probe or the GUI.
"""
