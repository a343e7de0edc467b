"""Alembic scripts for the desktop's local database; applied by desktop.migrate at start-up."""
