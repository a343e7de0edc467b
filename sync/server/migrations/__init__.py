"""The server's own Alembic line (separate from the desktop's: different tables, different databases)."""
