"""The buyer's orders: history, one order with each seller's status and tracking, paying, cancelling, returning
and reviewing. A buyer only ever sees their own orders: the services look orders up by buyer (404 otherwise)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from marketplace.checkout import payments
from marketplace.checkout.orders import list_orders, order_view
from marketplace.core.errors import ApiError, NotFound
from marketplace.orders import returns
from marketplace.orders import services as orders
from marketplace.reviews.services import create_review
from marketplace.web.auth import login_required, viewer
from marketplace.web.forms import text
from marketplace.web.pages import page_links, page_request
from marketplace.web.storefront.blueprint import blp
from marketplace.web.storefront.cart_forms import TEST_CARD, PayForm
from marketplace.web.storefront.order_forms import CancelForm, ReturnForm, ReviewForm
from marketplace.web.storefront.payment_element import stripe_publishable_key
from tenants.uow import UnitOfWork

CANCELLABLE = {"awaiting_acceptance"}
DELIVERED = {"delivered", "completed"}
RETURN_QUANTITY_PREFIX = "quantity-"


@blp.app_template_filter("from_iso")
def from_iso(value: str | None) -> datetime | None:
    """Order views hold times as ISO strings (they are stored and replayed as JSON): back to datetimes."""
    return datetime.fromisoformat(value) if value else None


@blp.get("/orders")
@login_required
def orders_page():
    asked = page_request()
    with UnitOfWork() as uow:
        page = list_orders(uow.session, viewer().user_id, asked)
    return render_template("storefront/orders.html", orders=page.items, links=page_links(page, asked))


@blp.get("/orders/<id:order_id>")
@login_required
def order_page(order_id: int):
    """One order: payment, and each seller's part with its lines, status, moves, shipments and tracking."""
    return _render_order(order_id)


@blp.route("/orders/<id:order_id>/pay", methods=["GET", "POST"])
@login_required
def pay_page(order_id: int):
    """Pay an order still awaiting its payment (after a declined card, say)."""
    order = _own_order(order_id)
    form = PayForm()
    status = 200
    if form.validate_on_submit():
        try:
            payments.pay(viewer().user_id, order_id, text(form.payment_method))
        except ApiError as refusal:
            if refusal.status == 404:
                raise
            form.payment_method.errors.append(refusal.message)
            status = refusal.status
        else:
            flash("Thank you! Your order is paid.", "success")
            return redirect(url_for("shop.order_page", order_id=order_id))
    elif form.is_submitted():
        status = 422
    return render_template("storefront/pay.html", order=order, form=form, test_card=TEST_CARD,
                           publishable_key=stripe_publishable_key()), status


@blp.route("/orders/<id:order_id>/sellers/<seller>/cancel", methods=["GET", "POST"])
@login_required
def cancel_page(order_id: int, seller: str):
    order, part = _own_part(order_id, seller)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            orders.cancel_by_buyer(viewer().user_id, order_id, seller, text(form.reason))
        except ApiError as refusal:
            if refusal.status == 404:
                raise
            flash(refusal.message, "error")
        else:
            flash(f"Your order from {part['seller_name']} is cancelled.", "success")
        return redirect(url_for("shop.order_page", order_id=order_id))
    status = 422 if form.is_submitted() else 200
    return render_template("storefront/cancel.html", order=order, part=part, form=form), status


@blp.route("/orders/<id:order_id>/sellers/<seller>/return", methods=["GET", "POST"])
@login_required
def return_page(order_id: int, seller: str):
    order, part = _own_part(order_id, seller)
    form = ReturnForm()
    status = 200
    line_errors: list[str] = []
    if form.validate_on_submit():
        lines = _return_lines(part)
        if not lines:
            line_errors.append("Choose at least one item to return.")
        else:
            try:
                returns.request_return(viewer().user_id, order_id, seller, text(form.reason), lines,
                                       current_app.config["RETURN_WINDOW_DAYS"])
            except ApiError as refusal:
                if refusal.status == 404:
                    raise
                line_errors.append(refusal.message)
            else:
                flash(f"Your return request is sent to {part['seller_name']}.", "success")
                return redirect(url_for("shop.order_page", order_id=order_id))
    if form.is_submitted():
        status = 422
    return render_template("storefront/return.html", order=order, part=part, form=form, line_errors=line_errors,
                           prefix=RETURN_QUANTITY_PREFIX), status


@blp.route("/orders/<id:order_id>/lines/<id:line_id>/review", methods=["GET", "POST"])
@login_required
def review_page(order_id: int, line_id: int):
    order = _own_order(order_id)
    line = next((line for part in order["sellers"] for line in part["lines"] if line["id"] == line_id), None)
    if line is None:
        raise NotFound("Your order has no such line.")
    form = ReviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            create_review(viewer().user_id, line_id, form.rating.data, (form.body.data or "").strip())
        except ApiError as refusal:
            if refusal.status == 404:
                raise
            form.form_errors.append(refusal.message)
            status = refusal.status
        else:
            flash("Thank you for your review.", "success")
            return redirect(url_for("shop.order_page", order_id=order_id))
    elif form.is_submitted():
        status = 422
    return render_template("storefront/review.html", order=order, line=line, form=form), status


def _render_order(order_id: int):
    order = _own_order(order_id)
    return render_template("storefront/order.html", order=order, cancellable=CANCELLABLE, delivered=DELIVERED)


def _own_order(order_id: int) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return order_view(uow.session, order_id, viewer().user_id)


def _own_part(order_id: int, seller: str) -> tuple[dict[str, Any], dict[str, Any]]:
    order = _own_order(order_id)
    part = next((part for part in order["sellers"] if part["seller"] == seller), None)
    if part is None:
        raise NotFound("You have no order with this id from this seller.")
    return order, part


def _return_lines(part: dict[str, Any]) -> list[dict[str, int]]:
    """The units the form asks to send back, per line of this seller's part (blank or 0: none)."""
    lines = []
    for line in part["lines"]:
        raw = request.form.get(f"{RETURN_QUANTITY_PREFIX}{line['id']}", "").strip()
        if raw.isdigit() and int(raw) > 0:
            lines.append({"line_id": line["id"], "quantity": int(raw)})
    return lines
