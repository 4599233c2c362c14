"""RQ entry points of payouts (thin: each calls one idempotent service)."""
from __future__ import annotations

from flask import current_app

from marketplace.payouts import transfers


def send_due_transfers() -> None:
    """Scheduled: transfer every seller's due share of its delivered orders."""
    transfers.send_due_transfers(current_app.config["TRANSFER_HOLD_DAYS"])
