"""A seller's dashboard: sales of the last 30 days, orders awaiting acceptance with their deadline, low stock.

`dashboard` is the one view (the lead's page bench requests it); what it
shows is read by the services: the order desk (awaiting orders, daily
sales), the catalog (low stock) and onboarding's steps.
"""
from __future__ import annotations

from datetime import timedelta

from flask import render_template

from marketplace.accounts.models import MemberRole
from marketplace.catalog import services as catalog
from marketplace.core.pagination import PageRequest
from marketplace.orders import desk
from marketplace.orders.models import SellerOrderStatus
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.portal.onboarding import onboarding_steps
from marketplace.web.portal.sales_chart import SalesChart
from tenants.db import utcnow

SALES_DAYS = 30
DASHBOARD_ROWS = 10
AWAITING = desk.DeskQuery(statuses=(SellerOrderStatus.AWAITING_ACCEPTANCE,), sort="acceptance_due_at")


@blp.get("/<slug>", endpoint="seller_dashboard")  # `portal.dashboard` is /portal, the entry point
@seller_page()
def dashboard(slug):
    seat = current_seat()
    now = utcnow()
    awaiting = desk.list_orders(seat.tenant, AWAITING, PageRequest(number=1, size=DASHBOARD_ROWS))
    return render_template(
        "portal/dashboard.html", now=now, awaiting=awaiting,
        chart=SalesChart.of(desk.daily_sales(seat.tenant, now.date() - timedelta(days=SALES_DAYS - 1), SALES_DAYS),
                            seat.tenant.currency),
        low_stock=catalog.low_stock(seat.tenant, DASHBOARD_ROWS),
        # Connecting payouts is the owner's: the others would be sent to a page they may not open.
        steps=onboarding_steps(seat.tenant) if seat.role is MemberRole.OWNER else [])
