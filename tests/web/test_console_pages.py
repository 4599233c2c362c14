"""Every page of the console, filled with data, passes axe-core at phone and desktop widths."""
from __future__ import annotations

from datetime import date

from billing import payouts
from billing.payout_models import PayoutRunTrigger
from billing.reconcile import record_daily_report
from billing.transfer_models import OrderDispute
from marketplace.accounts.models import MemberRole
from marketplace.catalog import categories
from marketplace.commissions import services as commissions
from marketplace.plans import services as plans
from marketplace.sellers import applications
from tenants.uow import UnitOfWork
from tests.billing.money_support import connect, earn_and_transfer, eur, settle
from tests.web.browser import assert_accessible
from tests.web.console_support import applied, as_operator, console_paths, failed_job
from tests.workers.support import run_jobs


def test_every_console_page_with_data_in_it_passes_axe(app, page, account, make_seller):
    ids = fill_the_platform(app, account, make_seller)
    as_operator(page, account)
    paths = console_paths(app, **ids)
    assert len(paths) >= 20, paths
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("table, svg, .tree, form").count(), path  # a filled page, not an empty state alone
        assert_accessible(page)


def fill_the_platform(app, account, make_seller) -> dict:
    """Data for every console page; returns the ids its addresses need."""
    owner_id = account("owner@acme.example")
    acme = make_seller("acme-tools", {owner_id: MemberRole.OWNER})
    pending_id = applied(app, account, "ana@example.com", "Ana Ceramics", "ana-ceramics")
    rejected_id = applied(app, account, "rui@example.com", "Rui Knives", "rui-knives")
    gateway = app.extensions["payment_gateway"]
    with app.app_context():
        applications.reject_application(rejected_id, owner_id, "Not yet.")
        tools = categories.create_category(None, name="Tools", slug="tools", parent_id=None, position=0)
        categories.create_category(None, name="Saws", slug="saws", parent_id=tools.id, position=0)
        rule = commissions.create_rule(None, seller=None, category_id=tools.id, basis_points=1250,
                                       fixed_fee_amount=0, currency=None)
        plan = plans.create_plan(None, "Pro", monthly_fee_amount=2900, currency="USD", commission_basis_points=1000,
                                 product_limit=500)
        earn_and_transfer(gateway, acme.id, connect(gateway, acme.id), eur(10_000), "order-1")
        settle(acme.id, eur(4_000), key="settle:2", commission=eur(400))
        run_id = payouts.start_run(PayoutRunTrigger.OPERATOR, date.today())
    run_jobs(app)
    with app.app_context():
        record_daily_report(gateway, date.today())
        with UnitOfWork() as uow:
            uow.session.add(OrderDispute(id="dp_1", order_id=1, currency="EUR", amount=4_000, status="needs_response"))
            uow.commit()
    job_id = failed_job(app)
    return {"application_id": pending_id, "category_id": tools.id, "rule_id": rule.id, "plan_id": plan.id,
            "run_id": run_id, "slug": acme.slug, "job_id": job_id}
