"""`flask billing …`: the money commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from billing.settlement import settle_backfill

billing_cli = AppGroup("billing", help="Settlement, the ledger and the money around it.")


@billing_cli.command("settle-backfill")
def settle_backfill_command() -> None:
    """Settle every paid order not settled yet, then post every succeeded refund not posted yet (idempotent)."""
    counts = settle_backfill()
    click.echo(f"{counts.orders_settled} order(s) settled, {counts.refunds_posted} refund(s) posted")
