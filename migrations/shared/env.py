"""Alembic environment of the shared (`platform`) schema.

Run through `flask db upgrade`; a caller may pass an open connection in
`config.attributes["connection"]` (tests, the embedded launcher), and
`flask db revision --autogenerate` passes the models' metadata in
`config.attributes["target_metadata"]` (this tree imports no model).
"""
from alembic import context
from sqlalchemy import create_engine

from tenants.db import SHARED_SCHEMA


def run_migrations(connection) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{SHARED_SCHEMA}"')
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("target_metadata"),
        version_table_schema=SHARED_SCHEMA,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == SHARED_SCHEMA,
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
