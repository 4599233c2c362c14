"""Request and response bodies of shipments, tracking events and the carrier webhook."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import StrictBoolean, TrimmedString
from marketplace.orders.tracking import REPORTABLE_STATUSES

MAX_ID = 2**63 - 1
MAX_QUANTITY = 2**31 - 1
DATE_TIME = {"format": "date-time"}
MAX_RETURN_WINDOW_DAYS = 365


class ShipmentLineInputSchema(Schema):
    line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "A line of the seller order (`seller_order_lines.id`)."})
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ShipmentInputSchema(Schema):
    carrier = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    tracking_number = TrimmedString(required=True, validate=validate.Length(min=1, max=100))
    lines = fields.List(fields.Nested(ShipmentLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=500), metadata={
        "description": "The units in the parcel; never more of a line than ordered minus already shipped."})


class TrackingEventInputSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(REPORTABLE_STATUSES))
    description = TrimmedString(load_default="", validate=validate.Length(max=500))
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "When it happened (default: now)."})


class CarrierEventSchema(TrackingEventInputSchema):
    """The body a carrier signs: one tracking event of one of the seller's parcels."""

    id = TrimmedString(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The carrier's event id: an id received before is refused (409 `duplicate_event`)."})
    tracking_number = TrimmedString(required=True, validate=validate.Length(min=1, max=100))


class ShipmentLineSchema(Schema):
    line_id = fields.Integer()
    quantity = fields.Integer()


class TrackingEventSchema(Schema):
    status = fields.String()
    source = fields.String(metadata={"description": "seller or carrier"})
    description = fields.String()
    occurred_at = fields.String(metadata=DATE_TIME)


class ShipmentSchema(Schema):
    id = fields.Integer()
    seller_order_id = fields.Integer()
    carrier = fields.String()
    tracking_number = fields.String()
    status = fields.String(metadata={"description": "shipped, in_transit, out_for_delivery, delivered or exception"})
    created_at = fields.String(metadata=DATE_TIME)
    delivered_at = fields.String(allow_none=True, metadata=DATE_TIME)
    lines = fields.List(fields.Nested(ShipmentLineSchema))
    tracking_events = fields.List(fields.Nested(TrackingEventSchema))


class CarrierWebhookSecretSchema(Schema):
    secret = fields.String(metadata={"description": "Shown this once: give it to your carrier. The old one stops "
                                                    "working now."})
    rotated_at = fields.DateTime()


class FulfilmentSettingsInputSchema(Schema):
    return_window_days = fields.Integer(required=True, strict=True, allow_none=True,
                                        validate=validate.Range(min=0, max=MAX_RETURN_WINDOW_DAYS), metadata={
        "description": "Days after delivery a buyer may return lines; null: the platform's default."})
    refund_shipping_on_return = StrictBoolean(metadata={
        "description": "true: a received return also refunds shipping, in proportion to the returned goods' "
                       "value; left out: unchanged."})


class FulfilmentSettingsSchema(Schema):
    return_window_days = fields.Integer(allow_none=True, metadata={"description": "The seller's own; null: the "
                                                                                  "platform's default applies."})
    effective_return_window_days = fields.Integer(metadata={
        "description": "The window that applies; delivered orders are completed after it."})
    refund_shipping_on_return = fields.Boolean(metadata={
        "description": "Whether a received return also refunds shipping, in proportion to the returned goods' "
                       "value (default false)."})
    carrier_webhook_secret_rotated_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the carrier webhook secret was last made; null: carriers cannot sign yet."})
