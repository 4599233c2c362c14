"""A new seller's way in: apply, wait for approval, connect payouts, add and publish a first product, be found."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.core.pagination import PageRequest
from marketplace.sellers import applications
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.portal_support import heading
from tests.workers.support import run_jobs


def test_a_new_seller_applies_is_approved_connects_payouts_and_publishes_a_product_buyers_find(app, page, account):
    account("nora@example.com", full_name="Nora Newshop")
    account("ops@example.com", operator=True)

    log_in(page, "nora@example.com", next_path="/portal")
    assert heading(page) == "Open your store"  # no store, no application: the form
    page.get_by_label("Shop name").fill("Nora's Linen")
    page.get_by_label("Shop address").fill("Nora Linen")  # not a slug: refused beside the field
    page.get_by_label("Country (two letters, e.g. PT)").fill("PT")
    page.get_by_label("Currency (e.g. EUR)").fill("EUR")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#wanted_slug-errors").is_visible()
    assert page.get_by_label("Shop name").input_value() == "Nora's Linen"
    assert_accessible(page)

    page.get_by_label("Shop address").fill("nora-linen")
    page.get_by_role("button", name="Apply").click()
    assert heading(page) == "Your application"
    assert page.get_by_text("Status: Pending").is_visible()
    assert_accessible(page)

    # The operator approves it from the console, in a browser of their own.
    console = page.context.browser.new_context(base_url=page.url.split("/portal")[0])
    operator_page = console.new_page()
    log_in(operator_page, "ops@example.com", next_path="/console/applications")
    operator_page.get_by_role("button", name="Approve Nora's Linen").click()
    expect(operator_page.get_by_text("Approved: Nora's Linen is open as the seller nora-linen.")).to_be_visible()
    console.close()

    page.goto("/portal")
    assert page.url.endswith("/portal/nora-linen")  # one store: straight to its dashboard
    steps = page.get_by_role("region", name="Getting started")
    assert steps.get_by_role("link", name="Connect payouts").is_visible()
    assert_accessible(page)

    steps.get_by_role("link", name="Connect payouts").click()
    assert page.locator("#payout-status").inner_text().startswith("Not connected")
    assert_accessible(page)
    page.get_by_role("button", name="Connect payouts").click()  # the store's country (PT) on record
    assert heading(page) == "Test payment processor: onboarding"
    page.get_by_role("button", name="Finish onboarding").click()
    assert page.url.endswith("/portal/nora-linen/payouts")
    # Coming back proves nothing: only the processor's account.updated event enables payouts.
    assert page.locator("#payout-status").inner_text().startswith("Onboarding not finished")
    run_jobs(app)
    page.reload()
    assert page.locator("#payout-status").inner_text() == "Payouts enabled: your sales are paid out to your bank."
    assert_accessible(page)

    page.goto("/portal/nora-linen")
    page.get_by_role("region", name="Getting started").get_by_role("link", name="First product").click()
    page.get_by_label("Title").fill("Linen shirt")
    page.get_by_label("Web address").fill("linen-shirt")
    page.get_by_label("Images").fill("https://images.example.com/shirt.jpg | A white linen shirt\nnot a link | Back")
    page.get_by_role("button", name="Save draft").click()
    assert page.locator("#images-errors").inner_text() == "Line 2: Not a valid URL."
    page.get_by_label("Images").fill("https://images.example.com/shirt.jpg | A white linen shirt")
    page.get_by_role("button", name="Save draft").click()
    assert heading(page) == "Linen shirt"
    assert page.get_by_role("img", name="A white linen shirt").count() == 1

    page.get_by_label("SKU").fill("SHIRT-M")
    page.get_by_label("Option (e.g. size M)").fill("M")
    page.get_by_label("Price").fill("49.90")
    page.get_by_label("Units in stock").fill("12")
    page.get_by_role("button", name="Add variant").click()
    assert page.get_by_role("cell", name="€49.90").is_visible()
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published: buyers can find it now.").is_visible()
    assert_accessible(page)

    run_jobs(app)  # the catalog's change reaches the search index
    page.goto("/search?q=linen+shirt")  # a buyer finds it on the storefront
    expect(page.get_by_role("heading", name="1 product")).to_be_visible()
    assert page.get_by_role("link", name="Linen shirt").get_attribute("href") == "/s/nora-linen/linen-shirt"

    page.goto("/portal/nora-linen")
    assert not page.get_by_role("region", name="Getting started").count()  # every step done: the checklist is gone


def test_an_unverified_account_cannot_apply_and_is_told_why(page, app, sign_up):
    sign_up("unverified@example.com", verified=False)
    log_in(page, "unverified@example.com", next_path="/portal/new")
    page.get_by_label("Shop name").fill("Quick shop")
    page.get_by_label("Shop address").fill("quick-shop")
    page.get_by_label("Country (two letters, e.g. PT)").fill("PT")
    page.get_by_label("Currency (e.g. EUR)").fill("EUR")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("alert").inner_text() == "Verify your email address first: follow the link we mailed you."
    with app.app_context():
        assert applications.list_applications(PageRequest(1, 10)).total == 0


def test_a_taken_shop_address_is_refused_beside_its_field_with_a_free_one_named(page, account, make_seller):
    make_seller("oak")
    account("second@example.com")
    log_in(page, "second@example.com", next_path="/portal")
    page.get_by_label("Shop name").fill("Oak")
    page.get_by_label("Shop address").fill("oak")
    page.get_by_label("Country (two letters, e.g. PT)").fill("PT")
    page.get_by_label("Currency (e.g. EUR)").fill("EUR")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#wanted_slug-errors").inner_text().startswith("The slug 'oak' is not available. 'oak-")
    assert_accessible(page)
