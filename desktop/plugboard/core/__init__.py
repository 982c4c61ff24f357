"""Qt-free core of Plugboard. Never imports PySide6 (an import-linter contract and a test check it)."""
