"""Alembic migrations for pmtip's database; applied by bot.store.migrate at start."""
