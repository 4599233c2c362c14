"""Request and response bodies of refunds."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString

MAX_AMOUNT = 2**63 - 1
MAX_REFUND_LINES = 500


class RefundLineSchema(Schema):
    line_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_AMOUNT), metadata={
        "description": "A line of the order (the buyer's order line id, `marketplace_order_line_id` of the "
                       "seller's line)."})
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class RefundInputSchema(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_AMOUNT), metadata={
        "description": "Minor units; never more than is left to refund of this seller's part (lines and "
                       "shipping), or 409 `refund_exceeds_remaining`."})
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500))
    lines = fields.List(fields.Nested(RefundLineSchema), load_default=list,
                        validate=validate.Length(max=MAX_REFUND_LINES), metadata={
        "description": "The units refunded, if any: never more of a line than its quantity minus the units "
                       "already refunded."})


class RefundSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    seller_order_id = fields.Integer(allow_none=True)
    amount = fields.Integer(metadata={"description": "Minor units."})
    currency = fields.String()
    reason = fields.String()
    lines = fields.List(fields.Nested(RefundLineSchema))
    status = fields.String(metadata={"description": "`pending` until the gateway answers, then `succeeded`, "
                                                    "`failed` (see `failure_reason`), `canceled` or "
                                                    "`requires_action`."})
    failure_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
