"""The console's payout runs, ledger and revenue chart."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.sync_api import expect

from billing.money import Money
from tests.billing.money_support import connect, earn_and_transfer, eur, settle
from tests.web.browser import assert_accessible
from tests.web.console_support import as_operator
from tests.workers.support import run_jobs


def test_an_operator_starts_a_payout_run_and_sees_each_sellers_result(app, page, account, make_seller, sql):
    gateway = app.extensions["payment_gateway"]
    paid, blocked = make_seller("oak-and-ash"), make_seller("blocked-shop")
    with app.app_context():
        net = earn_and_transfer(gateway, paid.id, connect(gateway, paid.id), eur(10_000), "order-oak")
        earn_and_transfer(gateway, blocked.id, connect(gateway, blocked.id), eur(5_000), "order-blocked")
    sql("UPDATE platform.payout_accounts SET payouts_enabled = false WHERE tenant_id = :id", id=blocked.id)
    as_operator(page, account, "/console/payouts")
    expect(page.get_by_text("No payout run yet.")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start a payout run now").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Payout run")
    run_jobs(app)
    page.reload()

    rows = {row.locator("td").first.inner_text(): row.locator("td").all_inner_texts()
            for row in page.locator("tbody tr").all()}
    assert rows["oak-and-ash"][1:3] == [f"€{net.amount / 100:,.2f}", "paid"]
    assert rows["blocked-shop"][2:] == ["skipped", "payouts not enabled on the seller's payout account"]
    assert_accessible(page)
    page.get_by_role("link", name="All payout runs").click()
    expect(page.get_by_role("cell", name="oak-and-ash")).to_be_visible()
    assert_accessible(page)


def test_the_ledger_filters_by_seller_and_day_and_refuses_an_unknown_seller_beside_its_field(app, page, account,
                                                                                            make_seller):
    oak, elm = make_seller("oak"), make_seller("elm")
    with app.app_context():
        settle(oak.id, eur(2_000), key="settle:oak", commission=eur(200), occurred_at=datetime(2026, 11, 2, 23, 59,
                                                                                               tzinfo=timezone.utc))
        settle(elm.id, eur(3_000), key="settle:elm", commission=eur(300), occurred_at=datetime(2026, 11, 3, 0, 0,
                                                                                               tzinfo=timezone.utc))
    as_operator(page, account, "/console/ledger")
    expect(page.get_by_text("order settled (settle:oak)")).to_be_visible()
    expect(page.get_by_text("order settled (settle:elm)")).to_be_visible()

    page.get_by_label("Seller (slug)").fill("elm")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("order settled (settle:elm)")).to_be_visible()
    expect(page.get_by_text("order settled (settle:oak)")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Seller (slug)").fill("")
    page.get_by_label("From (UTC day)").fill("2026-11-02")
    page.get_by_label("Until (UTC day, included)").fill("2026-11-02")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("order settled (settle:oak)")).to_be_visible()
    expect(page.get_by_text("order settled (settle:elm)")).to_have_count(0)
    page.get_by_label("From (UTC day)").fill("2026-11-03")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#occurred_until-errors").inner_text() == "Must not be before the first day."

    page.get_by_label("Until (UTC day, included)").fill("")
    page.get_by_label("Seller (slug)").fill("no-such-shop")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#seller-errors").inner_text() == "There is no such seller."


def test_the_revenue_chart_is_an_accessible_svg_with_the_same_figures_in_a_table(app, page, account, make_seller):
    oak = make_seller("oak")
    with app.app_context():
        settle(oak.id, eur(10_000), key="settle:1", commission=eur(1_250))
        settle(oak.id, Money(4_000, "USD"), key="settle:2", commission=Money(400, "USD"))
    as_operator(page, account, "/console/revenue")

    charts = page.get_by_role("img")
    assert charts.count() == 2  # one per currency: euros and dollars do not add up
    euros = page.get_by_role("img", name="Net revenue in EUR per month")
    assert "highest €12.50" in euros.locator("desc").text_content()
    assert page.get_by_role("cell", name="€12.50").count() == 2  # commission and net revenue
    assert_accessible(page)


def test_an_operator_adds_a_plan_and_a_taken_name_or_a_fee_without_currency_is_refused_beside_its_field(
        app, page, account, client):
    as_operator(page, account, "/console/plans")
    page.get_by_label("Name").fill("Pro")
    page.get_by_label("Monthly fee in minor units").fill("2900")
    page.get_by_role("button", name="Add the plan").click()
    assert page.locator("#currency-errors").inner_text() == "A monthly fee needs its currency."
    assert_accessible(page)
    page.get_by_label("Fee currency").fill("usd")
    page.get_by_label("Product limit").fill("500")
    page.get_by_role("button", name="Add the plan").click()
    expect(page.get_by_text("Plan Pro added.")).to_be_visible()
    assert page.get_by_role("row").filter(has_text="Pro").get_by_role("cell").all_inner_texts() == \
        ["Pro", "$29.00", "by the rules", "500"]

    page.get_by_role("link", name="Default").click()
    page.get_by_label("Name").fill("Pro")
    page.get_by_role("button", name="Save the plan").click()
    assert page.locator("#name-errors").inner_text() == "Another plan has this name."
    assert_accessible(page)
