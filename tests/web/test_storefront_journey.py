"""The buyer's journey through the storefront: search, facets, a cart of two sellers, checkout, tracking."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.checkout.orders import order_view
from marketplace.orders import services as orders
from marketplace.orders.shipments import ship
from marketplace.orders.tracking import record_seller_event
from tenants.uow import UnitOfWork
from tests.checkout.conftest import shopper  # noqa: F401 - fixture
from tests.orders.conftest import seller_lines
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.storefront_support import build_shop
from tests.workers.support import run_jobs


@pytest.fixture
def shop(app, make_seller):
    return build_shop(app, make_seller)


def add_to_cart(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text(f"{title} is in your cart.")).to_be_visible()


def test_a_buyer_searches_filters_buys_from_two_sellers_and_follows_the_tracking(page, app, shop, shopper):  # noqa: F811
    buyer = shopper()
    log_in(page, buyer.email)

    page.get_by_label("Search products").fill("kitchen")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="4 products")).to_be_visible()
    page.get_by_label("blue (2)").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="2 products")).to_be_visible()
    assert "attr=colour%3Ablue" in page.url
    assert_accessible(page)

    add_to_cart(page, "Blue Mug")
    page.go_back()
    page.go_back()
    add_to_cart(page, "Blue Bowl")

    page.get_by_role("link", name="Cart", exact=True).click()
    expect(page.get_by_role("heading", name="From Oak")).to_be_visible()
    expect(page.get_by_role("heading", name="From Iron")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_text("Total to pay: $44.00")).to_be_visible()  # 15 + 20 + 2 × 4.50 standard shipping
    assert_accessible(page)
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Place order and pay").click()

    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    order_id = int(re.search(r"/orders/(\d+)$", page.url).group(1))
    expect(page.get_by_role("heading", name=re.compile("^Oak"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Iron"))).to_be_visible()

    run_jobs(app)  # the paid order is routed to both sellers
    with app.app_context():
        view = _order(order_id, buyer.user_id)
        oak_part = next(part for part in view["sellers"] if part["seller"] == "oak")
        seller_order_id = oak_part["seller_order_id"]
        orders.accept(shop.oak, seller_order_id, None)
        [(line_id, quantity)] = seller_lines(app, shop.oak, seller_order_id)
        shipment = ship(shop.oak, None, seller_order_id, "DHL", "OAK-TRACK-1",
                        [{"line_id": line_id, "quantity": quantity}])
        record_seller_event(shop.oak, None, shipment["id"], {"status": "in_transit",
                                                               "description": "Left the Lisbon hub"})

    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("link", name=f"Order {order_id}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"Order {order_id}").click()
    oak_section = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Oak")))
    assert "DHL OAK-TRACK-1 In transit" in oak_section.inner_text()
    assert "In transit: Left the Lisbon hub" in oak_section.inner_text()
    assert "Shipped" in oak_section.get_by_role("heading", level=2).inner_text()
    iron_section = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Iron")))
    assert "Awaiting acceptance" in iron_section.get_by_role("heading", level=2).inner_text()
    assert_accessible(page)


def _order(order_id: int, buyer_user_id: int) -> dict:
    with UnitOfWork() as uow:
        return order_view(uow.session, order_id, buyer_user_id)
