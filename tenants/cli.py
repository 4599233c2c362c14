"""`flask tenants …`: provision a tenant, list the fleet, migrate every tenant schema."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from tenants.fleet import FleetReport, TenantMigration, UnknownTenants, migrate_fleet, read_versions
from tenants.models import Tenant
from tenants.move import MoveBusy, MoveRefused, MoveSettings, MoveView, run_move, start_or_resume_move
from tenants.move_models import MoveStatus, MoveStep
from tenants.provisioning import SlugTaken, provision_tenant
from tenants.registry import TenantNotFound, get_tenant_by_slug
from tenants.shards import UnknownShard, shards
from tenants.slugs import InvalidSlug
from tenants.uow import UnitOfWork

tenants_cli = AppGroup("tenants", help="Provision tenants, migrate the fleet, move a tenant to another shard.")

DISPLAY_NAME_MAX_LENGTH = Tenant.__table__.c.display_name.type.length
LIST_ROW = "{:<40}  {:<9}  {:<20}  {:<10}  {:<10}  {}"


@tenants_cli.command("migrate")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes.  [default: one per CPU]")
@click.option("--tenant", "slugs", multiple=True, metavar="SLUG",
              help="Migrate only this tenant; repeat for several.  [default: every tenant]")
def migrate(jobs: int | None, slugs: tuple[str, ...]) -> None:
    """Bring every tenant schema to the head of the tenant tree.

    Tenants already at head are skipped, so rerunning after a failure resumes.
    """
    try:
        report = migrate_fleet(slugs or None, jobs=jobs,
                               lock_timeout_ms=current_app.config["TENANT_LOCK_TIMEOUT_MS"])
    except UnknownTenants as error:
        raise click.BadParameter(str(error), param_hint="--tenant") from error
    for line in report_lines(report):
        click.echo(line)
    if report.failed:
        raise click.ClickException(
            f"{len(report.failed)} tenant(s) failed to migrate; fix the cause and rerun (tenants at head are skipped)")


def report_lines(report: FleetReport) -> list[str]:
    """One line per tenant, failures first, then the totals."""
    if not report.tenants:
        # A first run migrates before any seller exists: "0 tenants: 0 migrated" read like a failure.
        return ["no seller schemas yet: nothing to migrate"]
    in_print_order = report.failed + report.migrated + report.skipped
    lines = [_tenant_line(tenant) for tenant in in_print_order]
    lines.append(f"{len(report.tenants)} tenants: {len(report.migrated)} migrated, {len(report.skipped)} skipped, "
                 f"{len(report.failed)} failed in {report.seconds:.1f} s")
    return lines


def _tenant_line(tenant: TenantMigration) -> str:
    revisions = f"{tenant.from_revision or 'base'} -> {tenant.to_revision or 'base'}"
    line = (f"{tenant.status.value:<8}  {tenant.slug:<40}  {tenant.schema_name:<20}  {revisions:<24}"
            f"  {tenant.seconds:6.2f} s")
    return f"{line}  {tenant.error}" if tenant.error else line


@tenants_cli.command("provision")
@click.argument("slug")
@click.argument("display_name")
@click.option("--shard", "shard_key", default=None, metavar="SHARD",
              help="Shard to place the tenant on.  [default: the one with the fewest tenants]")
def provision(slug: str, display_name: str, shard_key: str | None) -> None:
    """Create a tenant SLUG named DISPLAY_NAME, with its schema at head."""
    if not display_name.strip() or len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise click.BadParameter(f"must be 1 to {DISPLAY_NAME_MAX_LENGTH} characters", param_hint="DISPLAY_NAME")
    try:
        tenant = provision_tenant(slug, display_name.strip(), shard_key=shard_key)
    except InvalidSlug as error:
        raise click.BadParameter(str(error), param_hint="SLUG") from error
    except UnknownShard as error:
        raise click.BadParameter(f"{error}; configured: {', '.join(shards.keys)}", param_hint="--shard") from error
    except SlugTaken as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"provisioned {tenant.slug} (id {tenant.id}) in schema {tenant.schema_name} on shard {tenant.shard_key}")


@tenants_cli.command("list")
def list_tenants() -> None:
    """Print every tenant with its status, schema, shard and recorded revision."""
    with UnitOfWork() as uow:
        tenants = uow.session.scalars(select(Tenant).order_by(Tenant.id)).all()
        listed = [(tenant.slug, tenant.status.value, tenant.schema_name, tenant.shard_key, tenant.display_name)
                  for tenant in tenants]
        provisioned = [tenant.ref() for tenant in tenants if tenant.schema_name]
    versions = read_versions(provisioned)
    if listed:
        click.echo(LIST_ROW.format("slug", "status", "schema", "shard", "revision", "display name"))
    for slug, status, schema_name, shard_key, display_name in listed:
        revision = ",".join(versions.get(schema_name, ())) or "base"
        click.echo(LIST_ROW.format(slug, status, schema_name or "-", shard_key, revision, display_name))
    if not listed:
        click.echo("no tenants")


@tenants_cli.command("move")
@click.argument("slug")
@click.option("--to", "target_shard", required=True, metavar="SHARD", help="The shard to move the tenant to.")
def move(slug: str, target_shard: str) -> None:
    """Move tenant SLUG's schema to SHARD while the seller keeps working.

    Copies the schema, then freezes the seller's writes briefly (503
    tenant_moving) to copy the last changes, relays its outbox, verifies
    every table and points the registry at SHARD; the old schema is dropped
    after TENANT_MOVE_GRACE_SECONDS. Rerun after a crash to resume the move.
    """
    try:
        tenant = get_tenant_by_slug(slug)
        move_id = start_or_resume_move(tenant, target_shard)
    except TenantNotFound as error:
        raise click.BadParameter("no tenant has this slug", param_hint="SLUG") from error
    except UnknownShard as error:
        raise click.BadParameter(f"{str(error)}; configured: {', '.join(shards.keys)}", param_hint="--to") from error
    except MoveRefused as error:
        raise click.ClickException(str(error)) from error
    try:
        view = run_move(move_id, MoveSettings.from_config(current_app.config), on_step=_echo_step)
    except MoveBusy as error:
        raise click.ClickException(f"{error}; wait for it, or run this again once it has stopped") from error
    except Exception as error:
        raise click.ClickException(f"move {move_id} stopped: {error}; the seller can write again, "
                                   "run this again to resume") from error
    if view.status is MoveStatus.ROLLED_BACK:
        raise click.ClickException(f"move {move_id} rolled back, {slug} stays on {view.source_shard}: {view.error}")
    click.echo(f"moved {slug} from {view.source_shard} to {view.target_shard} "
               f"(writes refused for {view.freeze_seconds:.3f} s, {view.changes_applied} changes copied "
               f"after the snapshot)")


def _echo_step(step: MoveStep, view: MoveView) -> None:
    click.echo(f"move {view.id}: {step.value}")
