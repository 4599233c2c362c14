"""`flask billing …`: the money commands (settlement backfill, reconciliation)."""
from __future__ import annotations

import sys
from datetime import datetime, time, timedelta, timezone

import click
from flask.cli import AppGroup

from billing import reconcile
from billing.gateway.registry import current_gateway
from billing.settlement import settle_backfill
from tenants.uow import UnitOfWork

billing_cli = AppGroup("billing", help="Money: settlement backfill and reconciliation of the ledger with the processor.")


@billing_cli.command("settle-backfill")
def settle_backfill_command() -> None:
    """Settle every paid order not settled yet, then post every succeeded refund not posted yet (idempotent)."""
    counts = settle_backfill()
    click.echo(f"{counts.orders_settled} order(s) settled, {counts.refunds_posted} refund(s) posted")


@billing_cli.command("reconcile")
@click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="first day included, UTC (default: yesterday)")
@click.option("--to", "last_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="last day included, UTC (default: --from)")
def reconcile_command(first_day: datetime | None, last_day: datetime | None) -> None:
    """Compare the ledger with the processor's balance transactions; exit 1 if they differ anywhere."""
    first = first_day.date() if first_day else datetime.now(timezone.utc).date() - timedelta(days=1)
    last = last_day.date() if last_day else first
    if last < first:
        raise click.UsageError("--to must not be before --from")
    start = datetime.combine(first, time.min, tzinfo=timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=timezone.utc)
    with UnitOfWork() as uow:
        report = reconcile.reconcile(uow.session, current_gateway(), start, end)
    click.echo(f"reconciled {start.isoformat()} to {end.isoformat()}: {report.matched_count} matched, "
               f"{len(report.differences)} differences")
    for difference in report.differences:
        click.echo(f"  {difference.kind} {difference.source} {difference.currency}: "
                   f"ledger {difference.ledger_amount}, gateway {difference.gateway_amount}")
    if report.differences:
        sys.exit(1)
