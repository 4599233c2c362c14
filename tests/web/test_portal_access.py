"""Who sees and changes what in the portal: members only, each role as in the API, suspended sellers read-only."""
from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import MemberRole
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product
from marketplace.orders.models import SellerOrder
from tenants.models import TenantStatus
from tenants.uow import UnitOfWork
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order, set_tenant_status  # noqa: F401 - fixtures used here
from tests.web.browser import assert_accessible
from tests.web.conftest import client_logged_in, log_in
from tests.web.portal_support import heading

PLANS_URL = "/api/v1/operator/plans"


def product_count(app, tenant) -> int:
    with app.app_context(), UnitOfWork(tenant) as uow:
        return uow.session.scalar(select(func.count()).select_from(Product))


def forged_post(page, path: str, form: dict):
    """A POST with the page session's own CSRF token, as a hand-made form would send it."""
    token = page.locator("input[name=csrf_token]").first.input_value()
    return page.request.post(path, form={"csrf_token": token, **form}, max_redirects=0)


def test_a_suspended_seller_reads_its_portal_handles_its_orders_and_changes_nothing_else(
        app, page, offer, routed_order, member_of):  # noqa: F811 - the fixtures imported above
    oak = offer("oak")
    _, order = routed_order([oak])
    owner = member_of(oak.tenant)
    set_tenant_status(app, oak.tenant, TenantStatus.SUSPENDED)

    log_in(page, owner.email, next_path="/portal/oak/products")
    assert page.get_by_role("status").filter(has_text="This store is suspended").is_visible()
    assert page.get_by_role("link", name="Oak thing").is_visible()  # reads work
    assert not page.get_by_role("link", name="Add a product").count()  # writes are not offered...
    assert_accessible(page)

    refused = forged_post(page, "/portal/oak/products/new", {"title": "Sneaky", "slug": "sneaky"})
    assert refused.status == 403  # ...and refused as the API refuses them
    assert "This seller is suspended" in refused.text()
    assert product_count(app, oak.tenant) == 1

    page.goto(f"/portal/oak/products/{oak.product_id}")
    assert not page.get_by_role("button", name="Unpublish").count()
    assert forged_post(page, f"/portal/oak/products/{oak.product_id}/unpublish", {}).status == 403

    page.goto("/portal/oak/orders")  # the buyers are still owed their orders
    page.get_by_role("link", name=f"#{order['id']}").click()
    page.get_by_role("button", name="Accept order").click()
    assert page.locator("#order-status").inner_text() == "Accepted"


def test_a_seller_cannot_open_another_sellers_pages_and_sees_nothing_of_it(
        app, page, account, make_seller, offer):  # noqa: F811 - the fixture imported above
    elm = offer("elm")
    with app.app_context():  # a second product: its id is one oak has no product with
        hidden = catalog.create_product(elm.tenant, {"slug": "elm-secret", "title": "Elm secret", "description": "",
                                                     "category_id": None, "attributes": {}, "images": []})
    make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER})

    log_in(page, "owner@oak.example.com", next_path="/portal/oak")
    for path in ("/portal/elm", "/portal/elm/products", f"/portal/elm/products/{hidden.id}", "/portal/elm/orders",
                 "/portal/elm/money", "/portal/elm/team", "/portal/elm/settings"):
        response = page.goto(path)
        assert response.status == 403, path
        assert heading(page) == "You cannot open this page"
        assert "Elm" not in page.locator("main").inner_text()

    response = page.goto(f"/portal/oak/products/{hidden.id}")  # elm's product id under oak's address
    assert response.status == 404
    assert "Elm secret" not in page.content()
    assert page.goto("/portal/no-such-seller").status == 404
    assert forged_post(page, f"/portal/elm/products/{hidden.id}/publish", {}).status == 403


def test_staff_handle_the_catalog_and_orders_while_only_owners_and_managers_change_the_store(
        page, account, make_seller):
    make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER,
                        account("staff@oak.example.com"): MemberRole.STAFF})

    log_in(page, "staff@oak.example.com", next_path="/portal/oak/settings")
    assert not page.get_by_role("link", name="Payouts").count()
    assert not page.get_by_role("button", name="Save settings").count()
    assert_accessible(page)
    assert forged_post(page, "/portal/oak/settings", {"display_name": "Staff Shop"}).status == 403
    assert page.goto("/portal/oak/payouts").status == 403
    page.goto("/portal/oak/team")
    assert not page.get_by_role("button", name="Send invite").count()
    assert forged_post(page, "/portal/oak/team", {"email": "pal@example.com", "role": "owner"}).status == 403
    page.goto("/portal/oak/products/new")  # the catalog is every member's (catalog_writer: staff)
    page.get_by_label("Title").fill("Oak stool")
    page.get_by_label("Web address").fill("oak-stool")
    page.get_by_role("button", name="Save draft").click()
    assert heading(page) == "Oak stool"
    page.get_by_role("button", name="Log out").click()

    log_in(page, "owner@oak.example.com", next_path="/portal/oak/team")
    page.get_by_label("Email").fill("new.manager@example.com")
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Send invite").click()
    assert page.get_by_text("Invite mailed to new.manager@example.com.").is_visible()
    assert page.get_by_role("region", name="Invites").get_by_text("new.manager@example.com · manager").is_visible()
    page.get_by_label("Role of staff@oak.example.com").select_option("manager")
    page.get_by_role("row").filter(has_text="staff@oak.example.com").get_by_role("button", name="Change role").click()
    assert page.get_by_role("row").filter(has_text="staff@oak.example.com").get_by_role("cell").nth(2).inner_text() \
        == "manager"
    assert_accessible(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("row").filter(has_text="owner@oak.example.com").get_by_role("button", name="Remove").click()
    assert heading(page) == "That could not be done now"  # the last owner stays: a 409 page
    page.goto("/portal/oak/settings")
    page.get_by_label("Store name").fill("Oak & Co")
    page.get_by_label("Hours to accept an order").fill("2")
    page.get_by_role("button", name="Save settings").click()
    assert page.locator("#acceptance_hours-errors").inner_text() == "Must be between 24 and 168."
    page.get_by_label("Hours to accept an order").fill("72")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Storefront settings saved.").is_visible()
    assert page.get_by_label("Store name").input_value() == "Oak & Co"
    assert page.get_by_label("Hours to accept an order").input_value() == "72"
    assert page.get_by_role("link", name="Payouts").is_visible()


def test_the_plan_product_limit_is_told_beside_the_product_form(app, client, page, account, make_seller, operator):
    make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER})
    plans = client.get(PLANS_URL, headers=operator.headers).get_json()
    default_id = next(plan["id"] for plan in plans if plan["is_default"])
    assert client.patch(f"{PLANS_URL}/{default_id}", headers=operator.headers,
                        json={"product_limit": 1}).status_code == 200

    log_in(page, "owner@oak.example.com", next_path="/portal/oak/products/new")
    for slug in ("oak-table", "oak-chair"):
        page.goto("/portal/oak/products/new")
        page.get_by_label("Title").fill(slug.replace("-", " ").title())
        page.get_by_label("Web address").fill(slug)
        page.get_by_role("button", name="Save draft").click()

    assert page.get_by_role("alert").inner_text().startswith("Your plan allows 1 products")
    assert page.get_by_label("Title").input_value() == "Oak Chair"  # what was typed stays
    assert_accessible(page)


def another_sellers_paths(app, slug: str, method: str, **ids) -> list[str]:
    """Every portal address of one seller for `method`, its ids filled with `ids`, else 1."""
    values = {"slug": slug, "extension": "csv", "action": "publish", **ids}
    return sorted(rule.build({name: values.get(name, 1) for name in rule.arguments}, append_unknown=False)[1]
                  for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("portal.") and "slug" in rule.arguments and method in rule.methods)


def test_every_page_and_action_of_another_seller_is_a_403_for_a_seller_and_changes_nothing(
        app, client, account, make_seller, offer, routed_order):  # noqa: F811 - the fixtures imported above
    elm = offer("elm")
    _, order = routed_order([elm])
    ids = {"product_id": elm.product_id, "variant_id": elm.variant_id,
           "seller_order_id": order["sellers"][0]["seller_order_id"]}
    make_seller("oak", {account("owner@oak.example.com"): MemberRole.OWNER})
    token = client_logged_in(client, "owner@oak.example.com")
    get_paths = another_sellers_paths(app, "elm", "GET", **ids)
    post_paths = another_sellers_paths(app, "elm", "POST", **ids)
    areas = ("", "/products", "/orders", "/returns", "/money", "/payouts", "/team", "/settings")
    assert {f"/portal/elm{area}" for area in areas} <= set(get_paths)  # every area of the portal, not a sample
    assert len(post_paths) > 20

    for path in get_paths:
        assert client.get(path).status_code == 403, path
    for path in post_paths:
        response = client.post(path, data={"csrf_token": token, "reason": "Because.", "title": "Taken", "role": "owner",
                                           "carrier": "DHL", "tracking_number": "X1", "email": "me@oak.example.com"})
        assert response.status_code == 403, path

    with app.app_context(), UnitOfWork(elm.tenant) as uow:
        product = uow.session.get(Product, elm.product_id)
        assert (product.title, product.status.value) == ("Elm thing", "published")
        assert [status.value for status in uow.session.scalars(select(SellerOrder.status))] == ["awaiting_acceptance"]
