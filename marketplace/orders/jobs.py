"""RQ entry points of seller orders (thin: each calls one service, which is idempotent)."""
from __future__ import annotations

from flask import current_app

from marketplace.orders import lifecycle, returns, services, sla, tracking
from marketplace.orders.models import AcceptanceHours
from marketplace.orders.routing import route_order as route


def route_order(order_id: int) -> None:
    route(order_id, acceptance_hours())


def mirror_status(tenant_id: int, marketplace_order_id: int, status: str, event_id: int,
                  tell_seller: bool = False) -> None:
    lifecycle.mirror_status(tenant_id, marketplace_order_id, status, event_id, tell_seller)


def complete_past_return_window() -> None:
    """Scheduled: complete delivered seller orders whose return window has passed."""
    tracking.complete_past_return_window(current_app.config["RETURN_WINDOW_DAYS"])


def settle_ended_order(tenant_id: int, marketplace_order_id: int, seller_order_id: int, event_id: int,
                       actor_kind: str, reason: str) -> None:
    services.settle_ended_order(tenant_id, marketplace_order_id, seller_order_id, event_id, actor_kind, reason)


def cancel_overdue_orders() -> None:
    """Scheduled: cancel seller orders not accepted in time (refund and stock back)."""
    sla.cancel_overdue_orders(current_app.config["ORDER_SLA_BATCH_SIZE"])


def acceptance_hours() -> AcceptanceHours:
    """The operator's SLA settings."""
    config = current_app.config
    return AcceptanceHours(default=config["ORDER_ACCEPTANCE_HOURS"], minimum=config["ORDER_ACCEPTANCE_MIN_HOURS"],
                           maximum=config["ORDER_ACCEPTANCE_MAX_HOURS"])


def notify_return(tenant_id: int, return_id: int, marketplace_order_id: int, status: str, reason: str) -> None:
    returns.notify_return(tenant_id, return_id, marketplace_order_id, status, reason)


def refund_return(tenant_id: int, return_id: int, marketplace_order_id: int, amount: int, currency: str,
                  lines: list[dict[str, int]]) -> None:
    returns.refund_return(tenant_id, return_id, marketplace_order_id, amount, currency, lines)


def record_return_refund(tenant_id: int, return_id: int, refund_id: int | None) -> None:
    returns.record_return_refund(tenant_id, return_id, refund_id)
