"""A seller's dashboard: sales of the last 30 days, orders awaiting acceptance with their deadline, low stock.

`dashboard` is the one view (the lead's page bench requests it); what it
shows is read by the small functions below, each in one unit of work of the
seller's own schema.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import render_template
from sqlalchemy import Date, cast, func, select

from marketplace.accounts.models import MemberRole
from marketplace.catalog.models import Product, ProductStatus, Variant
from marketplace.core.pagination import PageRequest
from marketplace.orders import desk
from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.portal.onboarding import onboarding_steps
from marketplace.web.portal.sales_chart import SalesChart
from tenants.db import utcnow
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

SALES_DAYS = 30
DASHBOARD_ROWS = 10
# Orders that did not become sales: they are not in the chart.
NOT_SALES = (SellerOrderStatus.REJECTED, SellerOrderStatus.CANCELLED)
AWAITING = desk.DeskQuery(statuses=(SellerOrderStatus.AWAITING_ACCEPTANCE,), sort="acceptance_due_at")


@dataclass(frozen=True)
class LowStock:
    product_id: int
    title: str
    sku: str
    available: int
    threshold: int


@blp.get("/<slug>", endpoint="seller_dashboard")  # `portal.dashboard` is /portal, the entry point
@seller_page()
def dashboard(slug):
    seat = current_seat()
    now = utcnow()
    awaiting = desk.list_orders(seat.tenant, AWAITING, PageRequest(number=1, size=DASHBOARD_ROWS))
    return render_template(
        "portal/dashboard.html", now=now, awaiting=awaiting,
        chart=SalesChart.of(daily_sales(seat.tenant, now.date()), seat.tenant.currency),
        low_stock=low_stock(seat.tenant),
        # Connecting payouts is the owner's: the others would be sent to a page they may not open.
        steps=onboarding_steps(seat.tenant) if seat.role is MemberRole.OWNER else [])


def daily_sales(tenant: TenantRef, today: date) -> dict[date, int]:
    """Each of the last SALES_DAYS days (UTC, today included) with the total of the orders paid that day."""
    first_day = today - timedelta(days=SALES_DAYS - 1)
    day = cast(func.timezone("UTC", SellerOrder.paid_at), Date)
    query = (select(day, func.sum(SellerOrder.total_amount))
             .where(SellerOrder.paid_at >= datetime.combine(first_day, time.min, tzinfo=timezone.utc),
                    SellerOrder.status.not_in(NOT_SALES))
             .group_by(day))
    with UnitOfWork(tenant) as uow:
        totals = dict(uow.session.execute(query).all())
    return {first_day + timedelta(days=offset): int(totals.get(first_day + timedelta(days=offset), 0))
            for offset in range(SALES_DAYS)}


def low_stock(tenant: TenantRef) -> list[LowStock]:
    """Variants of products still on sale or in preparation whose available stock is at or below their threshold."""
    available = Variant.stock_on_hand - Variant.stock_reserved
    query = (select(Product.id, Product.title, Variant.sku, available, Variant.low_stock_threshold)
             .join(Variant, Variant.product_id == Product.id)
             .where(Product.status != ProductStatus.ARCHIVED, available <= Variant.low_stock_threshold)
             .order_by(available, Variant.id).limit(DASHBOARD_ROWS))
    with UnitOfWork(tenant) as uow:
        return [LowStock(*row) for row in uow.session.execute(query).all()]
