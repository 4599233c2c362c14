"""RQ entry points of seller orders (thin: each calls one service, which is idempotent)."""
from __future__ import annotations

from marketplace.orders.routing import route_order as route


def route_order(order_id: int) -> None:
    route(order_id)
