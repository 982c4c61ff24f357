"""`plugboard run`: the launcher, PATH resolution, process trees and their termination, status records.

Runs inside Claude Desktop for every connector: light imports only; never imports config, bridge, probe or the GUI.
"""
