"""Plugboard: a desktop companion for Claude Desktop's MCP connectors."""

__version__ = "0.1.0"
