"""Checkout and the buyer's orders: POST /checkout, GET /orders, GET /orders/{id}, POST /orders/{id}/payment."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from marketplace.accounts.permissions import current_principal, login_required
from marketplace.checkout import payments, services
from marketplace.checkout.orders import list_orders, order_view
from marketplace.checkout.schemas import (CheckoutInputSchema, OrderSchema, OrderSummarySchema,
                                          PaymentInputSchema)
from marketplace.core.errors import ApiError
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from tenants.uow import UnitOfWork

blp = Blueprint("checkout", __name__, description="Checkout across sellers, and the buyer's orders")

ORDER_PATH = "/orders/<id:order_id>"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_KEY_HEADER = {
    "in": "header", "name": "Idempotency-Key", "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
    "description": "Your unique key for this checkout (e.g. a UUID). A retry with the same key and body gets "
                   "the same answer and buys nothing twice.",
}


class IdempotencyKeyRequired(ApiError):
    status, code = 400, "idempotency_key_required"


class StoredRefusal(ApiError):
    """A refusal an earlier try with this Idempotency-Key ended in, answered again."""

    def __init__(self, status: int, body: dict):
        super().__init__(body.get("message", "Refused."), errors=body.get("errors"))
        self.status = status
        self.code = body.get("code", "conflict")


@blp.route("/checkout")
class Checkout(MethodView):
    @login_required
    @blp.arguments(CheckoutInputSchema, example={"shipping_rate_ids": {"oak-and-iron": 3},
                                                 "expected_total_amount": 12450})
    @blp.response(201, OrderSchema)
    @blp.alt_response(400, response="BAD_REQUEST",
                      description="`idempotency_key_required`: no `Idempotency-Key` header, or one over 255 characters.")
    @blp.alt_response(409, response="CONFLICT", description=(
        "`cart_empty`; `lines_unavailable` (`errors` names each cart line at fault: `lines.{cart_line_id}`; "
        "nothing was reserved); `no_shipping_option`; `total_changed`; `idempotency_key_reused` (this key was "
        "used with another body); `in_progress` (the first try with this key is still running); "
        "`checkout_interrupted` / `checkout_timed_out` (undone; use a new key)."))
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description=(
        "`payment_gateway_unavailable`: the order was made but its payment could not be created yet; retry "
        "with the same key. `tenant_moving`: a seller's data is moving; nothing was kept, retry."))
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, checkout):
        """Check out the cart: one order, one payment, stock reserved at every seller

        Reserves every line at its seller or nothing (409 with the lines at
        fault). The order waits for its payment (`POST /orders/{id}/payment`)
        until `expires_at`; then its stock is released.
        """
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise IdempotencyKeyRequired("Send an Idempotency-Key header (1 to 255 characters) with each checkout.")
        response = services.check_out(current_principal().user_id, key, services.CheckoutRequest(**checkout),
                                      services.Settings(payment_minutes=current_app.config["ORDER_PAYMENT_MINUTES"],
                                                        reserve_seconds=current_app.config["CHECKOUT_RESERVE_SECONDS"]))
        if response.status >= 400:
            raise StoredRefusal(response.status, response.body)
        return response.body, response.status


@blp.route("/orders")
class Orders(MethodView):
    @login_required
    @blp.response(200, OrderSummarySchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """My orders, newest first, with each seller's status"""
        with UnitOfWork() as uow:
            return list_orders(uow.session, current_principal().user_id, page_request)


@blp.route(ORDER_PATH)
class OrderDetail(MethodView):
    @login_required
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id):
        """One of my orders: its payment and each seller's part with its status and timeline

        Each seller's part shows its moves (`history`), its shipments and their
        tracking events, read from that seller's own data.
        """
        with UnitOfWork() as uow:
            return order_view(uow.session, order_id, current_principal().user_id)


@blp.route(ORDER_PATH + "/payment")
class OrderPayment(MethodView):
    @login_required
    @blp.arguments(PaymentInputSchema, example={"payment_method": "4242424242424242"})
    @blp.response(200, OrderSchema)
    @blp.alt_response(402, response="PAYMENT_REQUIRED",
                      description="`payment_declined`: the card was declined; the order stays payable.")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`order_not_payable`: paid or expired already.")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE",
                      description="`payment_gateway_unavailable`: the payment processor did not answer.")
    def post(self, payment, order_id):
        """Pay an order

        Succeeded: the order is paid and goes to its sellers. Requires action:
        the payment's status says so; the gateway's event completes it.
        """
        return payments.pay(current_principal().user_id, order_id, payment["payment_method"])
