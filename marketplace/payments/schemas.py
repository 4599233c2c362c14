"""Schemas of the payments endpoints."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from billing.gateway.port import PaymentIntentStatus


class WebhookReceiptSchema(Schema):
    """The endpoint's answer to a verified event: stored now, or a replay of one stored before."""

    event_id = fields.String(required=True, metadata={"example": "evt_3f1c0b9a7e2d4c5b6a7f8e9d"})
    duplicate = fields.Boolean(required=True, metadata={
        "description": "True when this event id was received before: nothing new was stored."})


class AuthenticationInputSchema(Schema):
    """The buyer's answer on the test gateway's 3-D Secure page."""

    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The payment intent's client secret, which only the paying buyer holds."})
    approve = fields.Boolean(required=True, metadata={
        "description": "True completes the payment; false fails it (the order stays payable with another card)."})


class AuthenticatedIntentSchema(Schema):
    """The payment intent after the buyer's answer."""

    id = fields.String(required=True, metadata={"example": "pi_3f1c0b9a7e2d4c5b6a7f8e9d"})
    status = fields.Enum(PaymentIntentStatus, by_value=True, required=True)
    last_payment_error = fields.String(allow_none=True, required=True, metadata={
        "description": "Stripe's decline code when the payment failed, e.g. `payment_intent_authentication_failure`."})
