"""Every page of the portal passes axe-core at phone and desktop width, with data in it."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order  # noqa: F401 - fixtures used here
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in


def test_every_portal_page_passes_axe_with_data_in_it(
        app, page, offer, routed_order, member_of, make_seller):  # noqa: F811 - the fixtures imported above
    oak = offer("oak", stock=1)
    _, order = routed_order([oak])
    owner = member_of(oak.tenant)
    make_seller("elm", {owner.user_id: MemberRole.MANAGER})  # two stores: /portal lists them
    seller_order_id = order["sellers"][0]["seller_order_id"]

    log_in(page, owner.email, next_path="/portal")
    paths = ["/portal", "/portal/oak", "/portal/oak/products", f"/portal/oak/products/{oak.product_id}",
             f"/portal/oak/products/{oak.product_id}/variants/{oak.variant_id}",
             "/portal/oak/products/new", "/portal/oak/products/import", "/portal/oak/orders",
             "/portal/oak/orders?status=awaiting_acceptance", f"/portal/oak/orders/{seller_order_id}",
             f"/portal/oak/orders/{seller_order_id}/packing-slip", "/portal/oak/returns", "/portal/oak/money",
             "/portal/oak/team", "/portal/oak/settings", "/portal/oak/payouts", "/portal/new"]
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        assert_accessible(page)
    page.goto("/portal/oak")
    assert page.get_by_role("region", name="Low stock").get_by_role("cell", name="OAK-1").is_visible()
    assert page.get_by_role("img", name="Daily sales of the last 30 days").is_visible()
