"""RQ entry points of seller orders (thin: each calls one service, which is idempotent)."""
from __future__ import annotations

from flask import current_app

from marketplace.orders import lifecycle, tracking
from marketplace.orders.routing import route_order as route


def route_order(order_id: int) -> None:
    route(order_id, current_app.config["ORDER_ACCEPTANCE_HOURS"])


def mirror_status(tenant_id: int, marketplace_order_id: int, status: str, event_id: int) -> None:
    lifecycle.mirror_status(tenant_id, marketplace_order_id, status, event_id)


def complete_past_return_window() -> None:
    """Scheduled: complete delivered seller orders whose return window has passed."""
    tracking.complete_past_return_window(current_app.config["RETURN_WINDOW_DAYS"])
