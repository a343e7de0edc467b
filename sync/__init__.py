"""Sync: the wire protocol, the client that pushes the outbox and pulls changes, and the central server.

Reuses desktop/ (the same mutation registry runs on the server); imports no Qt and nothing from ui/.
"""
