"""Persistence shared by the front door and the action server.

Models, engines and sessions, registrations, tickets, erasure, the Alembic
migrations, and the store's own settings (the database URL and pool sizes).  It
imports nothing else of the project: ``server/`` and ``actions/`` both depend on it.
"""
