"""The cart (a guest's too) and checkout with a card on the payment gateway."""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from marketplace.addresses.services import list_addresses
from marketplace.cart import services as cart
from marketplace.checkout import payments
from marketplace.checkout import services as checkout
from marketplace.core.errors import ApiError
from marketplace.core.pagination import PageRequest
from marketplace.storefront.services import get_product
from marketplace.web.auth import login_required, viewer
from marketplace.web.storefront.blueprint import blp
from marketplace.web.storefront.cart_forms import TEST_CARD, CheckoutForm, LineQuantityForm
from marketplace.web.storefront.cart_owner import (
    cart_owner, merge_guest_cart_after_login, remember_guest_cart, with_cart,
)
from marketplace.web.storefront.catalog_views import add_to_cart_form, render_product
from marketplace.web.forms import show_errors, text
from marketplace.web.storefront.payment_element import stripe_publishable_key

ADDRESS_BOOK_PAGE = PageRequest(number=1, size=100)
# Refusals whose API message speaks in minor units or fields: said for the page instead.
PAGE_MESSAGES = {"total_changed": "A price or shipping cost changed since you opened this page: check the new "
                                  "total and place the order again."}
SHIPPING_FIELD_PREFIX = "shipping-"

blp.before_request(merge_guest_cart_after_login)


@blp.get("/cart")
def cart_page():
    """The cart grouped by seller, with each seller's shipping options to the buyer's default address."""
    return render_template("storefront/cart.html", cart=with_cart(cart.get_cart), quantity_form=LineQuantityForm())


@blp.post("/cart/lines")
def add_to_cart():
    """Put a product's variant in the cart; a refusal (bad quantity, too few in stock) is shown beside the field."""
    product = get_product(request.form.get("seller", ""), request.form.get("product", ""))
    form = add_to_cart_form(product)
    if not form.validate_on_submit():
        return render_product(product, form, 422)
    try:
        new_guest_token = with_cart(lambda owner: cart.add_line(owner, product["seller"]["slug"],
                                                                form.variant_id.data, form.quantity.data))
    except ApiError as refusal:  # too few in stock, another currency, not on sale any more
        if refusal.status == 404:
            raise
        show_errors(form, refusal.errors)
        if not refusal.errors:
            form.form_errors.append(refusal.message)
        return render_product(product, form, refusal.status)
    if new_guest_token is not None:
        remember_guest_cart(new_guest_token)
    flash(f"{product['title']} is in your cart.", "success")
    return redirect(url_for("shop.product_page", seller_slug=product["seller"]["slug"], product_slug=product["slug"]))


@blp.post("/cart/lines/<id:line_id>")
def change_line(line_id: int):
    form = LineQuantityForm()
    if not form.validate_on_submit():
        flash(_first_error(form) or "Enter a quantity.", "error")
        return redirect(url_for("shop.cart_page"))
    try:
        with_cart(lambda owner: cart.change_line(owner, line_id, form.quantity.data))
    except ApiError as refusal:
        if refusal.status == 404:
            raise
        flash(refusal.message, "error")
    else:
        flash("Quantity updated.", "success")
    return redirect(url_for("shop.cart_page"))


@blp.post("/cart/lines/<id:line_id>/remove")
def remove_line(line_id: int):
    with_cart(lambda owner: cart.delete_line(owner, line_id))
    flash("Removed from your cart.", "success")
    return redirect(url_for("shop.cart_page"))


@blp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout_page():
    """Ship to a saved address, choose each seller's shipping, pay with a card: one order, every seller."""
    addresses = list_addresses(viewer().user_id, ADDRESS_BOOK_PAGE).items
    address = _chosen_address(addresses)
    if address is None:
        return render_template("storefront/checkout.html", addresses=[], address=None, cart=None, form=None)
    view = cart.get_cart(cart_owner(), address["country"])
    form = CheckoutForm(address_id=str(address["id"]), idempotency_key=uuid.uuid4().hex)
    if request.method == "POST":
        if form.validate_on_submit():
            return _check_out(form, view)
        return _render_checkout(addresses, address, view, form, 422)
    return _render_checkout(addresses, address, view, form, 200)


def _check_out(form: CheckoutForm, view: dict[str, Any]):
    chosen = _chosen_shipping(view)
    # The total the buyer saw: the subtotal shown on the page, with the shipping chosen in the form.
    shown_subtotal = int(form.expected_subtotal_amount.data)
    expected_total = shown_subtotal + sum(option["amount"] for option in chosen.values())
    user_id = viewer().user_id
    try:
        response = checkout.check_out(
            user_id, form.idempotency_key.data,
            checkout.CheckoutRequest(shipping_address_id=int(form.address_id.data),
                                     shipping_rate_ids={slug: option["rate_id"] for slug, option in chosen.items()},
                                     expected_total_amount=expected_total),
            checkout.Settings(payment_minutes=current_app.config["ORDER_PAYMENT_MINUTES"],
                              reserve_seconds=current_app.config["CHECKOUT_RESERVE_SECONDS"]))
    except ApiError as refusal:
        return _refused(refusal.message)
    if response.status >= 400:
        return _refused(PAGE_MESSAGES.get(response.body.get("code"),
                                          response.body.get("message", "Your order could not be placed.")))
    order_id = response.body["id"]
    if response.body["status"] != "awaiting_payment":  # the same form posted twice: the order is paid already
        return redirect(url_for("shop.order_page", order_id=order_id))
    try:
        payments.pay(user_id, order_id, text(form.payment_method))
    except ApiError as refusal:  # declined, or the gateway did not answer: the order waits for a payment
        flash(refusal.message, "error")
        return redirect(url_for("shop.pay_page", order_id=order_id))
    flash("Thank you! Your order is placed.", "success")
    return redirect(url_for("shop.order_page", order_id=order_id))


def _refused(message: str):
    flash(message, "error")
    return redirect(url_for("shop.checkout_page", address=request.form.get("address_id")))


def _render_checkout(addresses, address, view, form, status: int):
    publishable_key = stripe_publishable_key()
    chosen = _chosen_shipping(view)
    total = view["subtotal_amount"] + sum(option["amount"] for option in chosen.values())
    form.expected_subtotal_amount.data = str(view["subtotal_amount"])
    return render_template("storefront/checkout.html", addresses=addresses, address=address, cart=view, form=form,
                           chosen=chosen, total=total, shipping_field=SHIPPING_FIELD_PREFIX,
                           publishable_key=publishable_key, test_card=TEST_CARD), status


def _chosen_address(addresses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The address asked for (`?address=` or the form's), else the default one, else the first."""
    asked = request.values.get("address") or request.form.get("address_id") or ""
    by_id = {str(address["id"]): address for address in addresses}
    if asked in by_id:
        return by_id[asked]
    return next((address for address in addresses if address["is_default"]), addresses[0] if addresses else None)


def _chosen_shipping(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Seller slug -> the shipping option chosen (the form's choice, else the seller's first option)."""
    chosen = {}
    for group in view["sellers"]:
        options = group["shipping_options"]
        if not options:
            continue
        asked = request.form.get(SHIPPING_FIELD_PREFIX + group["seller"]["slug"], "")
        chosen[group["seller"]["slug"]] = next((option for option in options if str(option["rate_id"]) == asked),
                                               options[0])
    return chosen


def _first_error(form) -> str | None:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return None
