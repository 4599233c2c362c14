"""Shipments and tracking: the seller ships and reports; carriers report through a signed webhook.

Members of a seller ship and report tracking even while the seller is
suspended: a suspension blocks catalog and settings writes, not the
fulfilment of orders already placed. Owners and managers set the return
window and only the owner rotates the carrier webhook secret (settings, so
not while suspended).
"""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from marshmallow import ValidationError

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, member_required
from marketplace.core.errors import ValidationFailed
from marketplace.core.request_parsing import Blueprint
from marketplace.orders import shipments, tracking
from marketplace.orders.shipment_schemas import (CarrierEventSchema, CarrierWebhookSecretSchema, FulfilmentSettingsInputSchema,
                                        FulfilmentSettingsSchema, ShipmentInputSchema, ShipmentSchema,
                                        TrackingEventInputSchema)
from tenants.registry import get_tenant_by_slug

blp = Blueprint("fulfilment", __name__, description="Shipments, tracking events and carrier webhooks")

CARRIER_SIGNATURE = "Carrier-Signature"
EXAMPLE_SHIPMENT = {"carrier": "DHL", "tracking_number": "JD014600006281230704", "lines": [{"line_id": 1, "quantity": 2}]}
CARRIER_WEBHOOK_DOC = {
    "parameters": [{"in": "header", "name": CARRIER_SIGNATURE, "required": True, "schema": {"type": "string"},
                    "description": "`t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` keyed with the "
                                   "seller's carrier webhook secret; at most 300 s away from now."}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": CarrierEventSchema}}},
}

order_handler = member_required(MemberRole.STAFF, while_suspended=True)
order_reader = member_required(MemberRole.STAFF, allow_operators=True)


@blp.route("/sellers/<slug>/orders/<id:seller_order_id>/shipments")
class OrderShipments(MethodView):
    @order_reader
    @blp.response(200, ShipmentSchema(many=True))
    def get(self, slug, seller_order_id):
        """A seller order's shipments, with their lines and tracking events (members and operators)"""
        return shipments.list_shipments(current_tenant(), seller_order_id)

    @order_handler
    @blp.arguments(ShipmentInputSchema, example=EXAMPLE_SHIPMENT)
    @blp.response(201, ShipmentSchema)
    @blp.alt_response(409, response="CONFLICT", description="`illegal_transition`: only an accepted or partly "
                                                            "shipped order ships.")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="A line is not the order's, repeats, or "
                                                                        "asks for more units than are left to ship.")
    def post(self, shipment, slug, seller_order_id):
        """Ship some or all of a seller order's units (members, also while the seller is suspended)

        The order becomes `shipped` when every unit of every line is in a
        shipment, else `partially_shipped`; the buyer sees it on the order.
        """
        return shipments.ship(current_tenant(), current_principal().user_id, seller_order_id,
                              shipment["carrier"], shipment["tracking_number"], shipment["lines"])


@blp.route("/sellers/<slug>/shipments/<id:shipment_id>/tracking-events")
class ShipmentTrackingEvents(MethodView):
    @order_handler
    @blp.arguments(TrackingEventInputSchema, example={"status": "in_transit", "description": "Left the depot"})
    @blp.response(201, ShipmentSchema)
    def post(self, event, slug, shipment_id):
        """Report where a shipment is (members, also while the seller is suspended)

        When every shipment of a fully shipped order is `delivered`, the
        order becomes `delivered`. A delivered shipment stays delivered.
        """
        return tracking.record_seller_event(current_tenant(), current_principal().user_id, shipment_id, event)


@blp.route("/sellers/<slug>/fulfilment-settings")
class SellerFulfilmentSettings(MethodView):
    @order_reader
    @blp.response(200, FulfilmentSettingsSchema)
    def get(self, slug):
        """The seller's return window, return policy and carrier webhook state (members and operators)"""
        return tracking.fulfilment_settings(current_tenant(), current_app.config["RETURN_WINDOW_DAYS"])

    @member_required(MemberRole.MANAGER)
    @blp.arguments(FulfilmentSettingsInputSchema, example={"return_window_days": 30,
                                                           "refund_shipping_on_return": True})
    @blp.response(200, FulfilmentSettingsSchema)
    def put(self, settings, slug):
        """Set the seller's return window and return policy (owners and managers)

        Delivered orders are completed once the window has passed since
        delivery; null goes back to the platform's default (RETURN_WINDOW_DAYS).
        `refund_shipping_on_return` applies to returns received from now on.
        """
        return tracking.change_fulfilment_settings(current_tenant(), settings["return_window_days"],
                                                   current_app.config["RETURN_WINDOW_DAYS"],
                                                   settings.get("refund_shipping_on_return"))


@blp.route("/sellers/<slug>/carrier-webhook-secret")
class CarrierWebhookSecret(MethodView):
    @member_required(MemberRole.OWNER)
    @blp.response(201, CarrierWebhookSecretSchema)
    def post(self, slug):
        """Make a new carrier webhook secret, shown this once (owners)

        Carriers sign their deliveries to `/webhooks/carriers/{slug}` with it;
        the previous secret stops working at once.
        """
        return tracking.rotate_carrier_webhook_secret(current_tenant())


@blp.route("/webhooks/carriers/<slug>")
class CarrierWebhook(MethodView):
    @blp.doc(**CARRIER_WEBHOOK_DOC)
    @blp.response(200, ShipmentSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="`invalid_webhook`: the signature is missing, "
                                                               "wrong or more than 300 s away, or the seller has "
                                                               "no secret. Nothing is stored.")
    @blp.alt_response(404, response="NOT_FOUND", description="No such seller, or the seller has no shipment "
                                                             "with this tracking number.")
    @blp.alt_response(409, response="CONFLICT", description="`duplicate_event`: this event id was received "
                                                            "before; nothing changed.")
    @blp.alt_response(413, response="PAYLOAD_TOO_LARGE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="The signed body is not a tracking "
                                                                        "event.")
    def post(self, slug):
        """Receive a tracking event from a seller's carrier

        The signature is checked on the raw body with the seller's secret
        before anything is read; the shipment is looked up by its tracking
        number among that seller's shipments only.
        """
        return tracking.receive_carrier_webhook(get_tenant_by_slug(slug), request.get_data(),
                                                request.headers.get(CARRIER_SIGNATURE), _carrier_event)


def _carrier_event(payload: bytes) -> dict:
    try:
        return CarrierEventSchema().loads(payload)
    except (ValidationError, ValueError) as error:
        messages = error.messages if isinstance(error, ValidationError) else {"json": [str(error)]}
        raise ValidationFailed("The signed body is not a tracking event.", errors=messages) from None
