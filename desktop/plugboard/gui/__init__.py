"""PySide6 widgets and Qt models over plugboard.core. Thin: no business rules live here."""
