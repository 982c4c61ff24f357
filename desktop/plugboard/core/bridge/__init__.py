"""`plugboard proxy`: a stdio MCP server to Claude, a Streamable HTTP (or legacy SSE) client to the remote.

Uses tunnel/ for `--ssh`, launch/ for status records, logs/ and secrets/; never imports config or probe.
"""
