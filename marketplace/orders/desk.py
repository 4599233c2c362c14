"""The seller's order desk: its orders filtered, searched and sorted, one order whole, a CSV export, a packing slip,
and its daily sales (the portal's chart).

Reads only, in the seller's own schema. A list is cut into pages by offset
with the count of all matches (marketplace.core.pagination); every sort ends
in the id and has an index of its own (tenant revision t0008), so that a page
is read off an index, and the count is an index-only scan of the filtered rows.

`q` is an order number (the marketplace order id buyers see, with or without
a leading `#`) or else the start of the buyer's name, case-insensitive: a
prefix, not a substring, so that it is served by an index
(lower(buyer_name) text_pattern_ops) rather than a scan of every order.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator

import jinja2
from sqlalchemy import ColumnElement, Date, Select, cast, false, func, select
from sqlalchemy.orm import Session

from marketplace.core.errors import NotFound
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.orders.models import SellerOrder, SellerOrderEvent, SellerOrderLine, SellerOrderStatus
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

MAX_ORDER_NUMBER = 2**63 - 1
LIKE_ESCAPE = "\\"
# Rows fetched per round trip while an export streams (a server-side cursor, never the whole list in memory).
EXPORT_BATCH_ROWS = 1000
# Sort name → (column, descending); the id breaks ties in the same direction.
SORTS: dict[str, tuple[Any, bool]] = {
    "-paid_at": (SellerOrder.paid_at, True),
    "paid_at": (SellerOrder.paid_at, False),
    "acceptance_due_at": (SellerOrder.acceptance_due_at, False),
    "total_amount": (SellerOrder.total_amount, False),
    "-total_amount": (SellerOrder.total_amount, True),
}
DEFAULT_SORT = "-paid_at"
# Orders that did not become sales: left out of daily sales.
NOT_SALES = (SellerOrderStatus.REJECTED, SellerOrderStatus.CANCELLED)
EXPORT_COLUMNS = ("order_number", "seller_order_id", "status", "paid_at", "acceptance_due_at", "buyer_name",
                  "ship_to_name", "ship_to_city", "ship_to_postal_code", "ship_to_country", "shipping_option",
                  "currency", "subtotal_amount", "shipping_amount", "total_amount")
# A cell starting with one of these is a formula to a spreadsheet: buyers choose their names (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SellerOrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no order with this id.")


@dataclass(frozen=True)
class DeskQuery:
    """Which orders, in which order: every filter is optional, all given ones must hold."""

    statuses: tuple[SellerOrderStatus, ...] = ()
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    due_before: datetime | None = None
    search: str | None = None
    sort: str = DEFAULT_SORT


def list_orders(tenant: TenantRef, query: DeskQuery, page_request: PageRequest) -> Page[dict[str, Any]]:
    with UnitOfWork(tenant) as uow:
        return fetch_page(uow.session, orders_statement(query), page_request).map(_summary)


def get_order(tenant: TenantRef, seller_order_id: int) -> dict[str, Any]:
    """The seller order with its lines, shipping address and its moves, oldest first."""
    with UnitOfWork(tenant) as uow:
        order = _get_order(uow.session, seller_order_id)
        lines = uow.session.scalars(select(SellerOrderLine).where(SellerOrderLine.seller_order_id == order.id)
                                    .order_by(SellerOrderLine.id)).all()
        events = uow.session.scalars(select(SellerOrderEvent).where(SellerOrderEvent.seller_order_id == order.id)
                                     .order_by(SellerOrderEvent.id)).all()
        return {**_summary(order), "shipping_name": order.shipping_name, "shipping_address": order.shipping_address,
                "lines": [_columns(line) for line in lines], "events": [_columns(event) for event in events]}


def export_csv(tenant: TenantRef, query: DeskQuery) -> Iterator[str]:
    """The matching orders as CSV text, a header row first, yielded in pieces as they are read (all of them)."""
    yield _csv_row(EXPORT_COLUMNS)
    with UnitOfWork(tenant) as uow:
        rows = uow.session.scalars(orders_statement(query).execution_options(yield_per=EXPORT_BATCH_ROWS))
        for batch in rows.partitions():
            yield "".join(_csv_row(_export_values(order)) for order in batch)


def packing_slip_html(tenant: TenantRef, seller_order_id: int) -> str:
    """A printable page for the parcel: the order number, the ship-to address and each line to pack."""
    order = get_order(tenant, seller_order_id)
    return PACKING_SLIP.render(order=order)


def daily_sales(tenant: TenantRef, first_day: date, days: int) -> dict[date, int]:
    """Each of `days` days (UTC) from `first_day` with the total of the seller's orders paid that day, rejected and
    cancelled ones left out (they did not become sales)."""
    day = cast(func.timezone("UTC", SellerOrder.paid_at), Date)
    query = (select(day, func.sum(SellerOrder.total_amount))
             .where(SellerOrder.paid_at >= datetime.combine(first_day, time.min, tzinfo=timezone.utc),
                    SellerOrder.status.not_in(NOT_SALES))
             .group_by(day))
    with UnitOfWork(tenant) as uow:
        totals = dict(uow.session.execute(query).all())
    return {first_day + timedelta(days=offset): int(totals.get(first_day + timedelta(days=offset), 0))
            for offset in range(days)}


def orders_statement(query: DeskQuery) -> Select:
    """The matching orders in the query's sort (the list pages it, the export streams it)."""
    column, descending = SORTS[query.sort]
    ordering = (column.desc(), SellerOrder.id.desc()) if descending else (column.asc(), SellerOrder.id.asc())
    return select(SellerOrder).where(*_conditions(query)).order_by(*ordering)


def _conditions(query: DeskQuery) -> list[ColumnElement[bool]]:
    conditions = []
    if query.statuses:
        conditions.append(SellerOrder.status.in_(query.statuses))
    if query.placed_from is not None:
        conditions.append(SellerOrder.paid_at >= query.placed_from)
    if query.placed_to is not None:
        conditions.append(SellerOrder.paid_at <= query.placed_to)
    if query.due_before is not None:
        conditions.append(SellerOrder.acceptance_due_at < query.due_before)
    if query.search:
        conditions.append(_search_condition(query.search))
    return conditions


def _search_condition(search: str) -> ColumnElement[bool]:
    order_number = search.removeprefix("#")
    if order_number.isascii() and order_number.isdigit():
        # A number too large to be an order id names no order (rather than failing in the database).
        number = int(order_number)
        return SellerOrder.marketplace_order_id == number if number <= MAX_ORDER_NUMBER else false()
    # The pattern is built here, not with `||` in SQL: the planner sees a constant prefix and uses the index.
    return func.lower(SellerOrder.buyer_name).like(_escaped_for_like(search.lower()) + "%", escape=LIKE_ESCAPE)


def _escaped_for_like(text: str) -> str:
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def _get_order(session: Session, seller_order_id: int) -> SellerOrder:
    order = session.get(SellerOrder, seller_order_id)
    if order is None:
        raise SellerOrderNotFound()
    return order


def _summary(order: SellerOrder) -> dict[str, Any]:
    return {"id": order.id, "order_number": order.marketplace_order_id, "status": order.status.value,
            "buyer_name": order.buyer_name, "currency": order.currency, "subtotal_amount": order.subtotal_amount,
            "shipping_amount": order.shipping_amount, "total_amount": order.total_amount, "paid_at": order.paid_at,
            "acceptance_due_at": order.acceptance_due_at, "created_at": order.created_at}


def _columns(row: SellerOrderLine | SellerOrderEvent) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _export_values(order: SellerOrder) -> tuple[Any, ...]:
    address = order.shipping_address or {}
    return (order.marketplace_order_id, order.id, order.status.value, order.paid_at.isoformat(),
            order.acceptance_due_at.isoformat(), order.buyer_name, address.get("name", ""), address.get("city", ""),
            address.get("postal_code", ""), address.get("country", ""), order.shipping_name, order.currency,
            order.subtotal_amount, order.shipping_amount, order.total_amount)


def _csv_row(values: tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(_inert(value) for value in values)
    return buffer.getvalue()


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Autoescaped: names, addresses and titles come from buyers and sellers.
PACKING_SLIP = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Packing slip, order {{ order.order_number }}</title>
<style>
  body { font-family: sans-serif; margin: 2em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #999; padding: .4em; text-align: left; }
  td.quantity { text-align: right; }
  @media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>Packing slip</h1>
<p>Order {{ order.order_number }} · Paid {{ order.paid_at.strftime("%Y-%m-%d") }}
 · Shipping: {{ order.shipping_name }}</p>
<h2>Ship to</h2>
<address>
{{ order.shipping_address.name }}<br>
{{ order.shipping_address.line1 }}<br>
{% if order.shipping_address.line2 %}{{ order.shipping_address.line2 }}<br>{% endif %}
{{ order.shipping_address.postal_code }} {{ order.shipping_address.city }}<br>
{% if order.shipping_address.region %}{{ order.shipping_address.region }}<br>{% endif %}
{{ order.shipping_address.country }}
{% if order.shipping_address.phone %}<br>{{ order.shipping_address.phone }}{% endif %}
</address>
<h2>Items</h2>
<table>
<thead><tr><th>SKU</th><th>Item</th><th>Options</th><th>Quantity</th></tr></thead>
<tbody>
{% for line in order.lines %}
<tr><td>{{ line.sku }}</td><td>{{ line.title }}</td>
<td>{{ line.options.items() | map("join", ": ") | join(", ") }}</td>
<td class="quantity">{{ line.quantity }}</td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
""")
