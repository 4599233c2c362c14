"""Alembic environment of the `shard` schema: what every shard database holds besides tenant schemas.

Today that is the shard's outbox. Run on every shard (the control database
is the shard `default` too) by `flask db upgrade`, before the shared tree.
"""
from migrations.environment import run_schema_migrations
from tenants.db import SHARD_SCHEMA

run_schema_migrations(SHARD_SCHEMA)
