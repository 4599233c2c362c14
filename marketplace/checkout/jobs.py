"""RQ entry points of checkout (thin: each calls one idempotent service)."""
from __future__ import annotations

from marketplace.checkout import payments, recovery


def release_order_stock(order_id: int) -> None:
    payments.release_order_stock(order_id)


def expire_overdue_orders() -> None:
    """Scheduled: expire orders unpaid past their deadline."""
    payments.expire_overdue_orders()


def recover_checkouts() -> None:
    """Scheduled: undo checkouts a crash abandoned; create missing payment intents."""
    recovery.recover_checkouts()
