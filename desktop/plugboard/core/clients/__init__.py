"""Other MCP clients (their config formats, import and export) and the catalog of servers.

Sits at the top of core beside probe/ (the two do not import each other).
"""
