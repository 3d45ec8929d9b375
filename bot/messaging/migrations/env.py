"""Alembic's environment for Frontdesk's tables: runs on the connection `bot.messaging.schema` hands it."""

from __future__ import annotations

from alembic import context

from bot.messaging.schema import VERSION_TABLE, ours
from bot.messaging.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE, include_name=ours,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
