"""What the `shared` and `shard` trees' env.py share: migrate one named schema of one database.

A caller may pass an open connection in `config.attributes["connection"]`
(tests, the embedded launcher); `flask db revision --autogenerate` passes the
models' metadata in `config.attributes["target_metadata"]` (the trees import
no model).
"""
from alembic import context
from sqlalchemy import create_engine


def run_schema_migrations(schema_name: str) -> None:
    """Run the tree's migrations on `schema_name`, whose version table it also holds."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection, schema_name)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        _run(own_connection, schema_name)
    engine.dispose()


def _run(connection, schema_name: str) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"')
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("target_metadata"),
        version_table_schema=schema_name,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == schema_name,
    )
    with context.begin_transaction():
        context.run_migrations()
