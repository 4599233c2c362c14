"""The console's tenants: listing, searching, activating, suspending, resuming, closing, changing the plan."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import Engine, event

from marketplace.accounts.models import MemberRole
from marketplace.plans import services as plans
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import routed_order  # noqa: F401 - fixtures used here
from tests.web.browser import assert_accessible
from tests.web.console_support import OPERATOR_EMAIL, api_headers, as_operator


def test_a_suspended_tenant_refuses_its_api_writes_until_it_is_resumed(app, page, account, client, make_seller,
                                                                       sign_up):
    owner = sign_up("owner@acme.example")
    make_seller("acme-tools", {owner.user_id: MemberRole.OWNER})
    as_operator(page, account, "/console/tenants?q=acme")
    page.get_by_role("link", name="Acme Tools").click()

    page.get_by_role("button", name="Suspend acme-tools").click()  # no reason given
    assert page.locator("#suspend-reason-errors").inner_text() == "This field is required."
    page.get_by_label("Reason").first.fill("Counterfeit goods reported.")
    page.get_by_role("button", name="Suspend acme-tools").click()
    expect(page.get_by_text("Suspended: acme-tools.")).to_be_visible()
    assert_accessible(page)

    write = client.patch("/api/v1/sellers/acme-tools/settings", json={"description": "Sale!"}, headers=owner.headers)
    assert (write.status_code, write.get_json()["code"]) == (403, "tenant_suspended")

    page.get_by_role("button", name="Resume acme-tools").click()
    expect(page.get_by_text("Resumed: acme-tools is back for buyers.")).to_be_visible()
    write = client.patch("/api/v1/sellers/acme-tools/settings", json={"description": "Sale!"}, headers=owner.headers)
    assert write.status_code == 200

    page.get_by_role("link", name="Audit log of acme-tools").click()
    actions = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert [action.split("\n")[0] for action in actions] == ["storefront_settings.update", "tenant.resume",
                                                             "tenant.suspend"]
    expect(page.get_by_text("Counterfeit goods reported.")).to_be_visible()
    assert_accessible(page)


def test_closing_a_tenant_needs_its_confirmation_and_its_plan_changes_from_the_next_period(app, page, account, client,
                                                                                           make_seller):
    make_seller("acme-tools")
    with app.app_context():
        plans.create_plan(None, "Pro", monthly_fee_amount=2900, currency="USD", commission_basis_points=None,
                          product_limit=None)
    as_operator(page, account, "/console/tenants/acme-tools")

    page.get_by_label("Plan from the next period").select_option(label="Pro ($29.00 a month)")
    page.get_by_role("button", name="Change the plan").click()
    expect(page.get_by_text("acme-tools moves to Pro from the next period.")).to_be_visible()
    tenant_plan = client.get("/api/v1/sellers/acme-tools/plan", headers=api_headers(client, OPERATOR_EMAIL))
    assert tenant_plan.get_json()["next_plan"]["name"] == "Pro"

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#close-reason").fill("Asked to leave.")
    page.get_by_role("button", name="Close acme-tools").click()
    assert page.locator("#close-confirmed-errors").inner_text() == "Tick this box to close the shop."
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("I understand that closing is final").check()
    page.get_by_role("button", name="Close acme-tools").click()
    expect(page.get_by_text("Closed: acme-tools.")).to_be_visible()
    detail = client.get("/api/v1/operator/tenants/acme-tools", headers=api_headers(client, OPERATOR_EMAIL)).get_json()
    assert detail["status"] == "closed"


def test_the_tenants_list_pages_and_searches_with_two_queries_whatever_the_number_of_sellers(page, account, sql):
    # Registry rows only: the list reads nothing else (their schemas would only slow the test down).
    sql("INSERT INTO platform.tenants (slug, display_name, status, schema_name) "
        "SELECT 'shop-' || to_char(n, 'FM00'), 'Shop ' || n, 'active', 'tenant_' || (900000 + n) "
        "FROM generate_series(0, 44) AS n")
    as_operator(page, account, "/console/tenants")
    expect(page.get_by_text("45 sellers")).to_be_visible()
    assert page.get_by_role("row").count() == 21  # a header and a page of 20
    page.get_by_role("link", name="Next").click()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 3 of 3")).to_be_visible()
    assert page.get_by_role("row").count() == 6
    assert_accessible(page)
    page.get_by_label("Slug or name contains").fill("shop-1")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("10 sellers")).to_be_visible()

    statements = []

    def remember(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", remember)  # every engine: whichever the page uses
    try:
        page.goto("/console/tenants")
    finally:
        event.remove(Engine, "before_cursor_execute", remember)
    tenant_reads = [statement for statement in statements if "FROM platform.tenants" in statement]
    assert len(tenant_reads) == 2  # the count and the page, not one per tenant


def test_an_operator_activates_a_pending_tenant(page, account, make_seller, sql):
    make_seller("acme-tools")
    sql("UPDATE platform.tenants SET status = 'pending' WHERE slug = 'acme-tools'")
    as_operator(page, account, "/console/tenants?status=pending")
    page.get_by_role("link", name="Acme Tools").click()
    page.get_by_role("button", name="Activate acme-tools").click()
    expect(page.get_by_text("Activated: acme-tools is open to buyers.")).to_be_visible()
    assert sql("SELECT status FROM platform.tenants WHERE slug = 'acme-tools'") == [("active",)]
    assert_accessible(page)


def test_a_seller_with_open_orders_is_not_closed_and_the_form_says_why(page, account, offer, routed_order,  # noqa: F811
                                                                        sql):
    routed_order([offer("acme-tools")])
    as_operator(page, account, "/console/tenants/acme-tools")
    page.locator("#close-reason").fill("Asked to leave.")
    page.get_by_label("I understand that closing is final").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Close acme-tools").click()

    assert page.get_by_role("alert").inner_text() == ("This seller still has 1 open order(s): each must be "
                                                      "fulfilled, rejected or cancelled first.")
    assert sql("SELECT status FROM platform.tenants WHERE slug = 'acme-tools'") == [("active",)]
    assert_accessible(page)
