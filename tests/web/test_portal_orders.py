"""The order desk and the money pages: accept and ship a routed order, print its slip, download the statement."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from playwright.sync_api import expect

from marketplace.accounts.models import MemberRole
from marketplace.orders import shipments
from tests.billing.transfer_support import HOLD_DAYS, Sale, age_delivery, connect, run_transfers, settle
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order  # noqa: F401 - fixtures used here
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.portal_support import heading
from tests.workers.support import run_jobs


def test_a_seller_accepts_and_ships_an_order_then_downloads_the_statement_of_its_payout(
        app, client, page, account, offer, routed_order, member_of):  # noqa: F811 - the fixtures imported above
    oak = offer("oak", price_amount=2500)
    _, order = routed_order([oak])
    [part] = order["sellers"]
    owner = member_of(oak.tenant)
    account("ops@example.com", operator=True)

    log_in(page, owner.email, next_path="/portal")
    assert page.url.endswith("/portal/oak")
    awaiting = page.get_by_role("region", name="Awaiting your acceptance (1)")
    assert " left" in awaiting.get_by_role("row").nth(1).inner_text()  # the SLA countdown
    assert page.get_by_text("Total: $29.50").is_visible()  # the sales chart's 30 days: 25.00 + 4.50 shipping
    assert_accessible(page)

    awaiting.get_by_role("link", name=f"#{order['id']}").click()
    assert heading(page) == f"Order #{order['id']}"
    page.get_by_role("button", name="Accept order").click()
    assert page.locator("#order-status").inner_text() == "Accepted"
    page.get_by_role("button", name="Mark everything left as shipped").click()
    assert page.locator("#carrier-errors").inner_text() == "Missing data for required field."
    page.get_by_label("Carrier").fill("DHL")
    page.get_by_label("Tracking number").fill("JD0146")
    page.get_by_role("button", name="Mark everything left as shipped").click()
    assert page.locator("#order-status").inner_text() == "Shipped"
    assert page.get_by_role("region", name="Shipments").inner_text().endswith("DHL JD0146 · Shipped")
    assert_accessible(page)

    page.get_by_role("link", name="Packing slip").click()
    assert heading(page) == "Packing slip"
    assert page.get_by_text("Rua das Flores 12").is_visible()
    assert page.get_by_role("cell", name="OAK-1").is_visible()
    assert_accessible(page)

    # The parcel is delivered, settled, held, transferred; then an operator runs payouts.
    with app.app_context():
        [shipment] = shipments.list_shipments(oak.tenant, part["seller_order_id"])
    delivered = client.post(f"/api/v1/sellers/oak/shipments/{shipment['id']}/tracking-events",
                            headers=owner.headers, json={"status": "delivered"})
    assert delivered.status_code // 100 == 2, delivered.get_json()
    run_jobs(app)
    sale = Sale(order["id"], oak.tenant, part["seller_order_id"], owner)
    settle(app, order["id"])
    connect(app, client, oak.tenant, owner)
    age_delivery(app, sale, HOLD_DAYS + 1)
    assert run_transfers(app) == 1
    console = page.context.browser.new_context(base_url=page.url.split("/portal")[0])
    operator_page = console.new_page()
    log_in(operator_page, "ops@example.com", next_path="/console/payouts")
    operator_page.once("dialog", lambda dialog: dialog.accept())  # "start a run now?"
    operator_page.get_by_role("button", name="Start a payout run now").click()
    expect(operator_page.get_by_role("heading", level=1)).to_contain_text("Payout run")
    console.close()
    run_jobs(app)

    page.get_by_role("link", name="Money").click()
    assert_accessible(page)
    assert page.get_by_role("region", name="Payouts to your bank").get_by_role("row").count() == 2
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"oak-statement-{datetime.now(timezone.utc):%Y-%m}.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    kinds = [row["kind"] for row in rows]
    assert kinds[0] == "opening" and kinds[-1] == "closing"
    assert {"settlement", "transfer", "payout"} <= set(kinds)
    settled = next(row for row in rows if row["kind"] == "settlement")
    assert settled["order_id"] == str(order["id"]) and int(settled["balance_change"]) > 0
    assert rows[-1]["available_change"] == "0"  # everything available was paid out


def test_a_bad_statement_month_is_answered_beside_its_field(page, account, make_seller):
    make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER})
    log_in(page, "owner@oak.example.com", next_path="/portal/oak/money")
    page.get_by_label("Month (YYYY-MM)").fill("November")
    page.get_by_role("button", name="Download CSV").click()
    assert page.locator("#period-errors").inner_text() == "A month is written YYYY-MM."
    assert_accessible(page)


def test_a_manager_sets_the_payout_schedule_and_a_weekly_one_without_its_day_is_refused_beside_it(
        page, account, make_seller):
    make_seller("oak", {account("manager@oak.example.com"): MemberRole.MANAGER})
    log_in(page, "manager@oak.example.com", next_path="/portal/oak/money")
    assert page.locator("#payout-schedule").inner_text().startswith("Daily")

    page.get_by_label("Pay me out").select_option("weekly")
    page.get_by_role("button", name="Save schedule").click()
    assert page.locator("#weekday-errors").inner_text() == "A weekly schedule needs its weekday."
    assert_accessible(page)

    page.get_by_label("On (weekly only)").select_option("Friday")
    page.get_by_label("Minimum amount (empty: the marketplace's)").fill("50.00")
    page.get_by_role("button", name="Save schedule").click()
    assert page.locator("#payout-schedule").inner_text() == "Weekly (on Friday), when at least $50.00 is available."
    assert page.get_by_label("Minimum amount (empty: the marketplace's)").input_value() == "50.00"


def test_a_seller_rejects_an_order_with_a_reason_and_cannot_accept_it_afterwards(
        page, offer, routed_order, member_of):  # noqa: F811 - the fixtures imported above
    oak = offer("oak")
    _, order = routed_order([oak])
    owner = member_of(oak.tenant)
    seller_order_id = order["sellers"][0]["seller_order_id"]

    log_in(page, owner.email, next_path=f"/portal/oak/orders/{seller_order_id}")
    page.get_by_role("button", name="Reject order").click()
    assert page.locator("#reason-errors").inner_text() == "Missing data for required field."
    assert_accessible(page)
    page.get_by_label("Reason (the buyer sees it)").fill("Out of stock since the order was placed")
    page.get_by_role("button", name="Reject order").click()
    assert page.locator("#order-status").inner_text() == "Rejected"
    history = page.get_by_role("region", name="History")
    assert history.get_by_text("Out of stock since the order was placed").is_visible()

    token = page.locator("input[name=csrf_token]").first.input_value()
    late = page.request.post(f"/portal/oak/orders/{seller_order_id}/accept", form={"csrf_token": token})
    assert late.status == 409  # the lifecycle refuses it: an error page, the order unchanged
    page.reload()
    assert page.locator("#order-status").inner_text() == "Rejected"


def test_the_desk_finds_an_order_by_number_and_exports_what_it_shows(
        page, offer, routed_order, member_of):  # noqa: F811 - the fixtures imported above
    oak = offer("oak", stock=5)
    _, first = routed_order([oak])
    _, second = routed_order([oak])
    owner = member_of(oak.tenant)

    log_in(page, owner.email, next_path="/portal/oak/orders")
    assert page.get_by_role("link", name=f"#{first['id']}").is_visible()
    page.get_by_label("Order number or buyer name").fill(f"#{second['id']}")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("link", name=f"#{second['id']}").is_visible()
    assert not page.get_by_role("link", name=f"#{first['id']}").count()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download these orders as CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [row["order_number"] for row in rows] == [str(second["id"])]
