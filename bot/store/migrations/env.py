"""Alembic's entry point. pmtip runs migrations from code only (bot.store.migrate),
on a connection it has already opened and locked, so there is no offline mode."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run pmtip's migrations through bot.store.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
