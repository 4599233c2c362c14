"""The cart of a guest and of a buyer, and the way to checkout."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from marketplace.catalog.listing import apply_listings
from marketplace.catalog.models import Variant
from tenants.uow import UnitOfWork
from tests.checkout.conftest import check_out, shopper  # noqa: F401 - fixture
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.storefront_support import build_shop


@pytest.fixture
def shop(app, make_seller):
    return build_shop(app, make_seller)


def test_a_guest_fills_a_cart_is_sent_to_log_in_at_checkout_and_comes_back_to_it(page, shop, shopper):  # noqa: F811
    buyer = shopper()
    page.goto(f"/s/oak/{shop.red_mug.slug}")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Red Mug is in your cart.")).to_be_visible()

    page.goto("/cart")
    expect(page.get_by_label("Quantity of Red Mug")).to_have_value("2")
    page.get_by_role("link", name="Check out").click()
    assert "/login?next=/checkout" in page.url
    assert_accessible(page)

    page.get_by_label("Email").fill(buyer.email)
    page.get_by_label("Password").fill(buyer.password)
    page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/checkout")
    expect(page.get_by_text("2 × Red Mug")).to_be_visible()  # the guest cart became the buyer's
    expect(page.get_by_text("Total to pay: $28.50")).to_be_visible()  # 2 × 12 + 4.50
    assert not any(cookie["name"] == "guest_cart" for cookie in page.context.cookies())


def test_a_guest_cookie_naming_no_cart_any_more_is_forgotten(page, live_server, shop):
    page.context.add_cookies([{"name": "guest_cart", "value": "purged-long-ago", "url": live_server}])
    assert page.goto("/cart").status == 200
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    assert not any(cookie["name"] == "guest_cart" for cookie in page.context.cookies())
    page.context.add_cookies([{"name": "guest_cart", "value": "purged-long-ago", "url": live_server}])
    page.goto(f"/s/oak/{shop.red_mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Red Mug is in your cart.")).to_be_visible()  # in a new guest cart
    page.goto("/cart")
    expect(page.get_by_label("Quantity of Red Mug")).to_have_value("1")


def test_a_line_can_be_changed_and_removed_and_stock_limits_are_told(page, shop):
    page.goto(f"/s/iron/{shop.black_pan.slug}")
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#quantity-errors")).to_have_text("Number must be between 1 and 999.")
    page.get_by_label("Quantity").fill("6")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#quantity-errors")).to_have_text("At most 5 available.")  # beside the field
    assert_accessible(page)
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/cart")
    page.get_by_label("Quantity of Black Pan").fill("9")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("available", exact=False).first).to_be_visible()  # 5 in stock: refused, told
    expect(page.get_by_label("Quantity of Black Pan")).to_have_value("1")
    page.get_by_label("Quantity of Black Pan").fill("3")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("$135.00").first).to_be_visible()
    page.get_by_role("button", name="Remove Black Pan").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def test_choosing_express_shipping_is_what_the_order_charges(page, app, shop, shopper):  # noqa: F811
    buyer = shopper()
    log_in(page, buyer.email)
    page.goto(f"/s/oak/{shop.blue_mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout")
    page.get_by_label("Express: $12.00").check()
    expect(page.locator("#checkout-total")).to_have_text("$27.00")  # the page's script follows the choice
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    expect(page.get_by_text("Total $27.00")).to_be_visible()  # 15 + 12 express


def test_a_declined_card_leaves_the_order_payable_and_another_card_pays_it(page, shop, shopper):  # noqa: F811
    buyer = shopper()
    log_in(page, buyer.email)
    page.goto(f"/s/oak/{shop.blue_mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.locator("#payment_method-errors")).to_have_text("Enter a card number.")  # nothing ordered yet
    page.goto("/orders")
    expect(page.get_by_text("You have no orders yet.")).to_be_visible()
    page.goto("/checkout")
    page.get_by_label("Card number").fill("4000000000000002")
    page.get_by_role("button", name="Place order and pay").click()
    assert "/pay" in page.url
    expect(page.get_by_text("The payment was declined").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Thank you! Your order is paid.")).to_be_visible()


def test_with_a_stripe_key_the_checkout_mounts_the_payment_element_and_allows_stripe_only_there(
        app, client, shop, shopper):  # noqa: F811
    buyer = shopper()
    with client.session_transaction() as session:
        session["token"] = buyer.token
    client.post("/api/v1/cart/lines", json={"seller": "oak", "variant_id": shop.blue_mug.variant_id, "quantity": 1},
                headers=buyer.headers)
    app.config["STRIPE_PUBLISHABLE_KEY"] = "pk_test_storefront"
    try:
        response = client.get("/checkout")
        cart_response = client.get("/cart")
        order = check_out(client, buyer).get_json()  # placed, not paid: its pay page takes the card the same way
        pay_response = client.get(f"/orders/{order['id']}/pay")
    finally:
        app.config["STRIPE_PUBLISHABLE_KEY"] = None
    page_text = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert '<script src="https://js.stripe.com/v3/"></script>' in page_text
    assert 'id="payment-element"' in page_text and 'data-stripe-key="pk_test_storefront"' in page_text
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in policy
    assert "connect-src 'self' https://api.stripe.com" in policy
    assert "js.stripe.com" not in cart_response.headers["Content-Security-Policy"]
    assert "Card number" not in page_text
    assert 'id="payment-element"' in pay_response.get_data(as_text=True)
    assert "script-src 'self' https://js.stripe.com" in pay_response.headers["Content-Security-Policy"]


def test_a_buyer_without_an_address_adds_one_from_checkout_and_comes_back(page, shop, account):
    account("new@example.com")
    log_in(page, "new@example.com")
    page.goto(f"/s/oak/{shop.blue_mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout")
    assert_accessible(page)
    page.get_by_role("link", name="Add an address").click()
    for label, value in (("Recipient's name", "Nia New"), ("Street and number", "Rua das Flores 12"),
                         ("City", "Porto"), ("Postal code", "4050-262"), ("Country code", "PT")):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save address").click()
    assert page.url.endswith("/checkout")
    assert page.get_by_label("Standard: $4.50").is_checked()


def test_a_buyer_cannot_change_or_remove_a_line_of_another_cart(app, client, shop, shopper):  # noqa: F811
    owner, stranger = shopper(), shopper()
    client.post("/api/v1/cart/lines", json={"seller": "oak", "variant_id": shop.blue_mug.variant_id, "quantity": 1},
                headers=owner.headers)
    [line] = client.get("/api/v1/cart", headers=owner.headers).get_json()["sellers"][0]["lines"]
    with client.session_transaction() as session:
        session["token"] = stranger.token
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cart").get_data(as_text=True)).group(1)

    assert client.post(f"/cart/lines/{line['id']}", data={"csrf_token": token, "quantity": "7"}).status_code == 404
    assert client.post(f"/cart/lines/{line['id']}/remove", data={"csrf_token": token}).status_code == 404
    [kept] = client.get("/api/v1/cart", headers=owner.headers).get_json()["sellers"][0]["lines"]
    assert kept["quantity"] == 1


def test_a_price_raised_while_the_buyer_checks_out_is_shown_before_anything_is_bought(page, app, shop, shopper):  # noqa: F811
    buyer = shopper()
    log_in(page, buyer.email)
    page.goto(f"/s/oak/{shop.blue_mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout")
    expect(page.get_by_text("Total to pay: $19.50")).to_be_visible()
    with app.app_context():
        with UnitOfWork(shop.oak) as uow:
            uow.session.execute(update(Variant).where(Variant.id == shop.blue_mug.variant_id)
                                .values(price_amount=1800))
            uow.commit()
        apply_listings(shop.oak, [shop.blue_mug.product_id])
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("A price or shipping cost changed since you opened this page")).to_be_visible()
    expect(page.get_by_text("Total to pay: $22.50")).to_be_visible()
    page.goto("/orders")
    expect(page.get_by_text("You have no orders yet.")).to_be_visible()
