"""Request and response bodies of webhook endpoints and their deliveries."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString
from marketplace.core.partial_updates import AtLeastOneField
from marketplace.webhooks.models import EVENT_TYPES, DeliveryStatus

MAX_URL_LENGTH = 2048
EVENT_TYPES_DOC = "Events sent to the endpoint, any of: " + ", ".join(f"`{name}`" for name in EVENT_TYPES) + "."


class EndpointInputSchema(Schema):
    url = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata={
        "description": "An https:// URL on a public address (http:// and loopback only where the platform allows "
                       "loopback, as in development); never a private, link-local or reserved address."})
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                              validate=validate.Length(min=1, max=len(EVENT_TYPES)),
                              metadata={"description": EVENT_TYPES_DOC})
    description = TrimmedString(load_default="", validate=validate.Length(max=200))


class EndpointChangeSchema(AtLeastOneField, EndpointInputSchema):
    active = fields.Boolean(metadata={"description": "False: no new deliveries, and pending ones wait."})


class EndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    event_types = fields.List(fields.String())
    description = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    secret_rotated_at = fields.DateTime(allow_none=True)


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(metadata={
        "description": "The signing secret of the Marketplace-Signature header, shown this once: keep it."})


class AttemptSchema(Schema):
    attempted_at = fields.DateTime()
    response_status = fields.Integer(allow_none=True, metadata={"description": "The HTTP status answered, if any."})
    error = fields.String(allow_none=True, metadata={"description": "Why it did not succeed, if it did not."})
    duration_ms = fields.Integer()


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_id = fields.String(metadata={"format": "uuid",
                                       "description": "The Marketplace-Event-Id: the same on every attempt and replay."})
    event_type = fields.String()
    marketplace_order_id = fields.Integer()
    status = fields.String(metadata={"enum": [status.value for status in DeliveryStatus]})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_response_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    payload = fields.Dict(metadata={"description": "The JSON body sent: `{id, type, created_at, data}`."})
    attempt_log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt, oldest first."})
