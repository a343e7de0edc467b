"""Fieldmark's desktop windows (PySide6). Holds no business rule: it calls desktop/ services."""
