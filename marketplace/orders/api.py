"""The seller order desk: each seller's orders under /sellers/{slug}/orders (members of any role, and operators).

Reads only, so a suspended seller's members keep their desk: suspension
blocks catalog and settings writes, not the handling of orders placed.
"""
from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import RAISE

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_tenant, member_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.orders import desk
from marketplace.orders.schemas import (DeskExportQuerySchema, DeskListQuerySchema, SellerOrderDetailSchema,
                                        SellerOrderSummarySchema)

blp = Blueprint("seller_orders", __name__,
                description="Each seller's order desk: its orders, exports and packing slips")

# Ids are BIGINT: a larger number in a path is a 404 from routing (marketplace.core.openapi).
ORDER_PATH = "/sellers/<slug>/orders/<id:seller_order_id>"
TEXT = {"type": "string"}

desk_reader = member_required(MemberRole.STAFF, allow_operators=True)


def _desk_query(arguments: dict) -> desk.DeskQuery:
    return desk.DeskQuery(statuses=tuple(arguments.get("status", ())), placed_from=arguments.get("placed_from"),
                          placed_to=arguments.get("placed_to"), due_before=arguments.get("due_before"),
                          search=arguments.get("q"), sort=arguments["sort"])


@blp.route("/sellers/<slug>/orders")
class SellerOrders(MethodView):
    @desk_reader
    @blp.arguments(DeskListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, SellerOrderSummarySchema(many=True))
    @paginated(blp)
    def get(self, arguments, slug, page_request):
        """The seller's orders, filtered and sorted, newest paid first by default (members and operators)

        Filters combine: `status` (repeatable), `placed_from`/`placed_to` (payment time), `due_before`
        (acceptance deadline) and `q` (an order number, or the start of the buyer's name).
        """
        return desk.list_orders(current_tenant(), _desk_query(arguments), page_request)


@blp.route("/sellers/<slug>/orders/export.csv")
class SellerOrdersExport(MethodView):
    @desk_reader
    @blp.arguments(DeskExportQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TEXT, content_type="text/csv",
                  description="Every matching order, one row each after a header row, in the list's sort; "
                              "amounts in minor units, times in ISO 8601.")
    def get(self, arguments, slug):
        """The seller's orders as CSV, with the list's filters and sort (members and operators)

        Every matching order is exported (streamed as it is read), not one page.
        """
        rows = desk.export_csv(current_tenant(), _desk_query(arguments))
        return Response(stream_with_context(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{slug}-orders.csv"'})


@blp.route(ORDER_PATH)
class SellerOrderDetail(MethodView):
    @desk_reader
    @blp.response(200, SellerOrderDetailSchema)
    def get(self, slug, seller_order_id):
        """A seller order with its lines, shipping address and history (members and operators)"""
        return desk.get_order(current_tenant(), seller_order_id)


@blp.route(f"{ORDER_PATH}/packing-slip")
class PackingSlip(MethodView):
    @desk_reader
    @blp.response(200, TEXT, content_type="text/html",
                  description="A printable HTML page: the order number, the ship-to address, and each line's "
                              "SKU, title, options and quantity.")
    def get(self, slug, seller_order_id):
        """A seller order's packing slip, to print and put in the parcel (members and operators)"""
        return Response(desk.packing_slip_html(current_tenant(), seller_order_id), mimetype="text/html")
