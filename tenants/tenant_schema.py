"""What every tenant schema holds: its tables and the migration tree that builds them, registered at start-up.

The tenants package knows nothing of the areas whose tables live in a tenant
schema (catalog, storefront, and orders to come). The application tells it,
once, before anything provisions or migrates a tenant: create_app calls
`marketplace.tables.register_tenant_schema`. Provisioning refuses to run
without it; before, it made a tenant with no tables and stamped it at head.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData


class TenantSchemaNotRegistered(RuntimeError):
    def __init__(self) -> None:
        super().__init__("no tenant tables are registered: call marketplace.tables.register_tenant_schema() "
                         "at start-up (create_app does) before provisioning or migrating a tenant")


@dataclass(frozen=True)
class TenantSchema:
    metadata: MetaData
    migration_tree: Path  # the Alembic script folder of the tenant tree

    @cached_property
    def script_directory(self) -> ScriptDirectory:
        """The revision graph of the tree, read once per process."""
        return ScriptDirectory.from_config(migration_tree_config(self.migration_tree))


_registered: TenantSchema | None = None


def register_tenant_schema(metadata: MetaData, migration_tree: Path) -> None:
    global _registered
    _registered = TenantSchema(metadata, Path(migration_tree))


def registered_tenant_schema() -> TenantSchema:
    """What a tenant schema holds; TenantSchemaNotRegistered if nothing, or a registry without tables, was registered."""
    if _registered is None or not _registered.metadata.tables:
        raise TenantSchemaNotRegistered()
    return _registered


def migration_tree_config(migration_tree: Path) -> Config:
    """An Alembic Config for a tenant tree folder, built in code (there is no alembic.ini)."""
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(migration_tree))
    config.set_main_option("version_locations", str(Path(migration_tree) / "versions"))
    return config
