"""Alembic environment: runs on the engine that ``nazar.store.db.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from nazar.store.models import Base  # every table, for `alembic check`-style comparisons

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
