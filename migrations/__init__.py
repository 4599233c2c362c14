"""Alembic trees: `shared` for the platform schema (control database), `shard` for what every shard
database holds besides tenant schemas (its outbox), `tenant` for every tenant schema."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent
TREES = ("shared", "shard", "tenant")


def alembic_config(tree: str, database_url: str | None = None) -> Config:
    """An Alembic Config for one tree, built in code (there is no alembic.ini)."""
    if tree not in TREES:
        raise ValueError(f"unknown migration tree {tree!r}; expected one of {TREES}")
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(MIGRATIONS_DIR / tree))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / tree / "versions"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@lru_cache(maxsize=None)
def script_directory(tree: str) -> ScriptDirectory:
    """The revision graph of a tree, read once per process."""
    return ScriptDirectory.from_config(alembic_config(tree))


def head_revision(tree: str) -> str:
    heads = script_directory(tree).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the {tree} migration tree must have exactly one head, has {heads}")
    return heads[0]


def upgrade_shared(database_url: str, revision: str = "head") -> None:
    """Bring the shared schema to `revision`."""
    from alembic import command

    command.upgrade(alembic_config("shared", database_url), revision)


def upgrade_shard(database_url: str, revision: str = "head") -> None:
    """Bring one shard database's `shard` schema to `revision`."""
    from alembic import command

    command.upgrade(alembic_config("shard", database_url), revision)


def upgrade_databases(shard_urls: dict[str, str], shared_revision: str = "head") -> None:
    """What `flask db upgrade` runs: every shard's tree (the `default` shard is the control database), then the
    shared tree. The shards go first: the shard tree takes over rows a later shared revision drops."""
    for database_url in shard_urls.values():
        upgrade_shard(database_url)
    upgrade_shared(shard_urls["default"], shared_revision)
