"""Handling seller orders: the seller accepts, rejects, cancels and refunds; the buyer cancels before acceptance.

Owners, managers and staff of the seller handle its orders, also while the
seller is suspended (a suspension blocks catalog and settings writes, not
the orders already placed).
"""
from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, login_required, member_required
from marketplace.core.request_parsing import Blueprint
from marketplace.orders import services
from marketplace.orders.handling_schemas import ReasonSchema, SellerOrderSchema
from marketplace.refunds.schemas import RefundInputSchema, RefundSchema

blp = Blueprint("order_handling", __name__,
                description="Seller orders: acceptance, rejection, cancellation and refunds")

# Ids are BIGINT: a larger number in a path is a 404 from routing (marketplace.core.openapi).
SELLER_ORDER_PATH = "/sellers/<slug>/orders/<id:seller_order_id>"
MAX_IDEMPOTENCY_KEY_LENGTH = 200
ILLEGAL = "`illegal_transition`: the order's status does not allow it (nothing changed)."
REFUND_KEY_HEADER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
    "description": "Your unique key for this refund: a retry with the same key returns the refund made the "
                   "first time and refunds nothing twice. Without it, each request is a new refund.",
}

order_handler = member_required(MemberRole.STAFF, while_suspended=True)
order_reader = member_required(MemberRole.STAFF, allow_operators=True)


@blp.route(SELLER_ORDER_PATH + "/accept")
class Acceptance(MethodView):
    @order_handler
    @blp.response(200, SellerOrderSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL)
    def post(self, slug, seller_order_id):
        """Accept an order awaiting acceptance (members, also while suspended)"""
        return services.accept(current_tenant(), seller_order_id, current_principal().user_id)


@blp.route(SELLER_ORDER_PATH + "/reject")
class Rejection(MethodView):
    @order_handler
    @blp.arguments(ReasonSchema, example={"reason": "Out of stock since the order was placed"})
    @blp.response(200, SellerOrderSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL)
    def post(self, body, slug, seller_order_id):
        """Reject an order awaiting acceptance (members, also while suspended)

        Its units come back in stock and the buyer is refunded this seller's
        part of the payment, shipping included.
        """
        return services.reject(current_tenant(), seller_order_id, current_principal().user_id, body["reason"])


@blp.route(SELLER_ORDER_PATH + "/cancel")
class SellerCancellation(MethodView):
    @order_handler
    @blp.arguments(ReasonSchema, example={"reason": "Damaged in the warehouse"})
    @blp.response(200, SellerOrderSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL + " Only an accepted order not shipped yet "
                                                                      "is cancelled; reject one awaiting acceptance.")
    def post(self, body, slug, seller_order_id):
        """Cancel an accepted order not shipped yet (members, also while suspended)

        Its units come back in stock and the buyer is refunded what is left of
        this seller's part of the payment.
        """
        return services.cancel_by_seller(current_tenant(), seller_order_id, current_principal().user_id,
                                         body["reason"])


@blp.route(SELLER_ORDER_PATH + "/refunds")
class SellerOrderRefunds(MethodView):
    @order_reader
    @blp.response(200, RefundSchema(many=True))
    def get(self, slug, seller_order_id):
        """The order's refunds, oldest first (members and operators)"""
        return services.order_refunds(current_tenant(), seller_order_id)

    @order_handler
    @blp.arguments(RefundInputSchema, example={"amount": 1250, "reason": "One mug arrived chipped",
                                               "lines": [{"line_id": 41, "quantity": 1}]})
    @blp.response(201, RefundSchema)
    @blp.alt_response(400, response="BAD_REQUEST",
                      description="`bad_request`: an `Idempotency-Key` header over 200 characters.")
    @blp.alt_response(409, response="CONFLICT", description=(
        "`refund_exceeds_remaining`: more than is left to refund of this seller's part, or more units of a "
        "line than are left (`errors` says how much is left); nothing was refunded."))
    @blp.doc(parameters=[REFUND_KEY_HEADER])
    def post(self, body, slug, seller_order_id):
        """Refund part of an order (members, also while suspended)

        The refund goes to the payment gateway by a job: it is `pending` until
        the gateway answers. The buyer sees it in `GET /orders/{id}`.
        """
        return services.refund_order(current_tenant(), seller_order_id, body["amount"], body["lines"], body["reason"],
                               _refund_key())


@blp.route("/orders/<id:order_id>/sellers/<seller>/cancel")
class BuyerCancellation(MethodView):
    @login_required
    @blp.arguments(ReasonSchema, example={"reason": "Ordered the wrong size"})
    @blp.response(200, SellerOrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL + " The seller accepted it already, or has "
                                                                      "not received it yet.")
    def post(self, body, order_id, seller):
        """Cancel one seller's part of my order, before that seller accepts it

        Its units go back to the seller's stock and that part of the payment,
        shipping included, is refunded.
        """
        return services.cancel_by_buyer(current_principal().user_id, order_id, seller, body["reason"])


def _refund_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise services.RefundKeyTooLong(MAX_IDEMPOTENCY_KEY_LENGTH)
    return f"key:{key}" if key else f"new:{uuid.uuid4()}"
