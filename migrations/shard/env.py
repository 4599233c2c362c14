"""Alembic environment of the `shard` schema: what every shard database holds besides tenant schemas.

Today that is the shard's outbox. Run on every shard (the control database
is the shard `default` too) by `flask db upgrade` before the shared tree.
"""
from alembic import context
from sqlalchemy import create_engine

from tenants.db import SHARD_SCHEMA


def run_migrations(connection) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{SHARD_SCHEMA}"')
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("target_metadata"),
        version_table_schema=SHARD_SCHEMA,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == SHARD_SCHEMA,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        run_migrations(own_connection)
    engine.dispose()
