"""RQ entry points of refunds (thin: each calls one idempotent service)."""
from __future__ import annotations

from marketplace.refunds import services


def submit_refund(refund_id: int) -> None:
    services.submit_refund(refund_id)
