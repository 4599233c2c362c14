"""The portal's other pages at work: CSV imports with their report, variants, returns, shipping rates."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.accounts.models import MemberRole
from marketplace.catalog import services as catalog
from marketplace.core.pagination import PageRequest
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order  # noqa: F401 - fixtures used here
from tests.orders.test_returns import ask, delivered  # noqa: F401 - a fixture used here
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.portal_support import heading
from tests.workers.support import run_jobs

IMPORT_CSV = ("product_slug,title,sku,price_amount,stock\n"
              "mug,Stone mug,MUG-1,1200,4\n"
              "mug,Stone mug,MUG-2,1400,6\n"
              "bowl,Stone bowl,BOWL-1,not a price,2\n")


def test_a_csv_import_shows_its_progress_then_its_row_report(app, page, tmp_path, account, make_seller):
    oak = make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER})
    upload = tmp_path / "stoneware.csv"
    upload.write_text(IMPORT_CSV, encoding="utf-8")

    log_in(page, "owner@oak.example.com", next_path="/portal/oak/products")
    page.get_by_role("link", name="Import a CSV file").click()
    page.get_by_role("button", name="Import").click()
    assert page.locator("#file-errors").inner_text() == "Choose a CSV file to import."
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    assert heading(page) == "Import of stoneware.csv"
    assert page.locator("#import-status").inner_text().startswith("Queued: 3 rows to import.")
    assert_accessible(page)

    run_jobs(app)
    # portal.js re-reads the report until the job is done, without reloading the page.
    expect(page.locator("#import-status")).to_contain_text("Done", timeout=10_000)
    assert page.locator("#import-status").inner_text() == "Done: 2 of 3 rows imported, 1 refused."
    assert page.get_by_role("row").filter(has_text="price_amount").inner_text().startswith("4")
    assert page.locator("#import-report[data-running]").count() == 0  # finished: no more polling
    assert_accessible(page)
    with app.app_context():
        [mug] = catalog.list_products(oak, PageRequest(number=1, size=10)).items
    assert sorted(variant.sku for variant in mug.variants) == ["MUG-1", "MUG-2"]


def test_a_variant_gets_a_new_price_and_a_bad_one_is_refused_beside_its_field(page, offer, member_of):  # noqa: F811
    oak = offer("oak", price_amount=1000)
    owner = member_of(oak.tenant)
    log_in(page, owner.email, next_path=f"/portal/oak/products/{oak.product_id}")
    page.get_by_role("link", name="OAK-1").click()
    assert page.get_by_label("Price").input_value() == "10.00"
    page.get_by_label("Price").fill("ten")
    page.get_by_role("button", name="Save variant").click()
    assert page.locator("#price-errors").inner_text() == "Not a valid integer."
    assert_accessible(page)
    page.get_by_label("Price").fill("12.50")
    page.get_by_role("button", name="Save variant").click()
    assert page.get_by_role("cell", name="$12.50").is_visible()


def test_a_return_is_approved_then_received_from_the_returns_page(app, client, page, delivered):  # noqa: F811
    sale = delivered(quantity=2, stock=5)
    ask(client, sale, 1, reason="Chipped rim")

    log_in(page, sale.owner.email, next_path="/portal/oak/returns")
    assert page.get_by_text("reason: Chipped rim").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve return").click()
    assert page.get_by_text("Status: Approved").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark received and refund").click()
    assert page.get_by_text("Status: Received").is_visible()
    with app.app_context():
        [variant] = catalog.get_product(sale.seller, sale.offer.product_id).variants
    assert variant.stock_on_hand == 5 - 2 + 1  # the resellable unit is back on hand

    ask(client, sale, 1, reason="Changed my mind")
    page.reload()
    second = page.get_by_role("region").filter(has_text="Changed my mind")
    second.get_by_role("button", name="Reject return").click()
    assert page.get_by_text("Give the buyer a reason to reject the return.").is_visible()
    second = page.get_by_role("region").filter(has_text="Changed my mind")
    second.get_by_label("Reason for rejecting (the buyer sees it)").fill("Used and washed")
    second.get_by_role("button", name="Reject return").click()
    assert page.get_by_text("Return rejected.").is_visible()
    assert page.get_by_role("region").filter(has_text="Changed my mind").get_by_text("Status: Rejected").is_visible()


def test_a_manager_adds_a_flat_shipping_rate_and_a_bad_country_is_refused_beside_its_field(
        page, account, make_seller):
    make_seller("oak", {account("manager@oak.example.com"): MemberRole.MANAGER})
    log_in(page, "manager@oak.example.com", next_path="/portal/oak/settings")
    assert page.get_by_text("No shipping rate: buyers cannot check out until you add one.").is_visible()

    page.get_by_label("Name shown to buyers").fill("Standard")
    page.get_by_label("Countries", exact=False).fill("PT, Portugal")
    page.get_by_label("Price").fill("4.50")
    page.get_by_role("button", name="Add rate").click()
    assert page.locator("#countries-errors").is_visible()
    assert page.get_by_label("Name shown to buyers").input_value() == "Standard"
    assert_accessible(page)

    page.get_by_label("Countries", exact=False).fill("PT, ES")
    page.get_by_role("button", name="Add rate").click()
    assert page.get_by_text("Shipping rate added.").is_visible()
    row = page.get_by_role("row").filter(has_text="Standard")
    assert row.get_by_role("cell").nth(1).inner_text() == "ES, PT"  # the service keeps them sorted
    assert row.get_by_role("cell").nth(2).inner_text() == "$4.50"
