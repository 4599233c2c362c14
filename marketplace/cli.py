"""`flask db …` and `flask seed …`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.tables import shard_metadata, shared_metadata
from migrations import alembic_config, upgrade_databases
from tenants.shards import shards

db_cli = AppGroup("db", help="Migrations of the shared and shard schemas (tenants: `flask tenants migrate`).")
seed_cli = AppGroup("seed", help="Demo data.")

# Where the demo's orders, gateway events, settlement, transfers and payouts are queued.
DEMO_MONEY_QUEUES = ("orders", "settlement", "default")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring every shard's `shard` schema to its head, then the shared `platform` schema to a revision."""
    upgrade_databases(shards.urls, revision)
    click.echo(f"{len(shards.keys)} shard schema(s) at head, shared schema at {revision}")


@db_cli.command("current")
def db_current() -> None:
    """Print the shared schema's revision."""
    from alembic import command

    command.current(alembic_config("shared", current_app.config["DATABASE_URL"]))


@db_cli.command("revision")
@click.option("--tree", type=click.Choice(["shared", "shard", "tenant"]), required=True)
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True,
              help="shared and shard trees: diff the models against the control database")
def db_revision(tree: str, message: str, autogenerate: bool) -> None:
    """Write a new revision file in a tree."""
    from alembic import command

    if autogenerate and tree == "tenant":
        raise click.UsageError("write tenant revisions by hand; the parity test checks them against the models")
    config = alembic_config(tree, current_app.config["DATABASE_URL"])
    config.attributes["target_metadata"] = shard_metadata if tree == "shard" else shared_metadata
    command.revision(config, message=message, autogenerate=autogenerate)


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Create the demo accounts, sellers, products, and orders with their money (once)."""
    from marketplace.demo import seed_demo
    from workers.worker import run_queued_jobs

    app = current_app._get_current_object()
    # The demo's money waits on the jobs of its orders and payouts: this command runs them as a worker would,
    # and leaves the rest (search indexing, sellers' webhooks) to `make run`'s workers.
    created = seed_demo(lambda: run_queued_jobs(app, DEMO_MONEY_QUEUES))
    click.echo("demo data created" if created else "demo data already present")
