"""Returns: the buyer asks to send delivered units back; the seller approves or rejects, receives, and refunds follow.

Members of the seller (staff and up) handle returns also while the seller is
suspended: a suspension blocks catalog and settings writes, not the orders
already placed. Operators may read them.
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, login_required, member_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.orders import returns
from marketplace.orders.handling_schemas import ReasonSchema
from marketplace.orders.return_schemas import (BuyerReturnSchema, ReturnInputSchema, ReturnListQuerySchema,
                                               ReturnReceiptSchema, SellerReturnSchema)

blp = Blueprint("returns", __name__, description="Returns of delivered units: the buyer's request, the seller's "
                                                 "decision and receipt, the refund")

# Ids are BIGINT: a larger number in a path is a 404 from routing (marketplace.core.openapi).
RETURN_PATH = "/sellers/<slug>/returns/<id:return_id>"
ILLEGAL = "`illegal_transition`: the return's status does not allow it (nothing changed)."

return_handler = member_required(MemberRole.STAFF, while_suspended=True)
return_reader = member_required(MemberRole.STAFF, allow_operators=True)


@blp.route("/orders/<id:order_id>/sellers/<seller>/returns")
class BuyerReturns(MethodView):
    @login_required
    @blp.arguments(ReturnInputSchema, example={"reason": "Too small", "lines": [{"line_id": 41, "quantity": 1}]})
    @blp.response(201, BuyerReturnSchema)
    @blp.alt_response(404, response="NOT_FOUND", description="You have no order with this id from this seller.")
    @blp.alt_response(409, response="CONFLICT", description="`not_delivered`: this seller's part is not delivered "
                                                            "yet; `return_window_closed`: the seller's return "
                                                            "window since delivery has passed.")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="A line is not of this seller's part, "
                                                                        "repeats, or asks for more units than were "
                                                                        "delivered and not yet returned.")
    def post(self, body, order_id, seller):
        """Ask one seller to take back delivered units of my order

        The seller approves or rejects it; once the seller receives the
        units, you are refunded their share of the lines (and of shipping,
        if the seller's policy says so). `GET /orders/{id}` shows it.
        """
        return returns.request_return(current_principal().user_id, order_id, seller, body["reason"], body["lines"],
                                      current_app.config["RETURN_WINDOW_DAYS"])


@blp.route("/sellers/<slug>/returns")
class SellerReturns(MethodView):
    @return_reader
    @blp.arguments(ReturnListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, SellerReturnSchema(many=True))
    @paginated(blp)
    def get(self, arguments, slug, page_request):
        """The seller's returns, newest first, optionally of some statuses (members and operators)"""
        return returns.list_returns(current_tenant(), tuple(arguments.get("status", ())), page_request)


@blp.route(RETURN_PATH)
class SellerReturn(MethodView):
    @return_reader
    @blp.response(200, SellerReturnSchema)
    def get(self, slug, return_id):
        """One of the seller's returns with its lines (members and operators)"""
        return returns.get_return(current_tenant(), return_id)


@blp.route(RETURN_PATH + "/approve")
class ReturnApproval(MethodView):
    @return_handler
    @blp.response(200, SellerReturnSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL + " Only a requested return is approved.")
    def post(self, slug, return_id):
        """Approve a requested return: the buyer is told to send the units (members, also while suspended)"""
        return returns.approve(current_tenant(), return_id)


@blp.route(RETURN_PATH + "/reject")
class ReturnRejection(MethodView):
    @return_handler
    @blp.arguments(ReasonSchema, example={"reason": "Worn, outside our policy"})
    @blp.response(200, SellerReturnSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL + " Only a requested return is rejected.")
    def post(self, body, slug, return_id):
        """Reject a requested return, saying why (members, also while suspended)

        The buyer is told why; its units may be asked for again.
        """
        return returns.reject(current_tenant(), return_id, body["reason"])


@blp.route(RETURN_PATH + "/receive")
class ReturnReceipt(MethodView):
    @return_handler
    @blp.arguments(ReturnReceiptSchema, example={"lines": [{"line_id": 7, "resellable": True}]})
    @blp.response(200, SellerReturnSchema)
    @blp.alt_response(409, response="CONFLICT", description=ILLEGAL + " Only an approved return is received.")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="A line of the return is missing, "
                                                                        "repeats, or is not the return's.")
    def post(self, body, slug, return_id):
        """Record that an approved return's units arrived (members, also while suspended)

        Resellable units go back on hand with `return` stock movements; the
        buyer is refunded the units' share of their lines (and of shipping
        if your fulfilment settings say `refund_shipping_on_return`) by a job,
        after which the return is `refunded`.
        """
        return returns.receive(current_tenant(), current_principal().user_id, return_id, body["lines"])
