"""Request and response bodies of the seller's order actions and the buyer's cancellation."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString


class ReasonSchema(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Why; the buyer sees it in the order's history."})


class SellerOrderSchema(Schema):
    id = fields.Integer()
    marketplace_order_id = fields.Integer(metadata={"description": "The buyer's order id."})
    status = fields.String(metadata={"description": "`awaiting_acceptance`, `accepted`, `partially_shipped`, "
                                                    "`shipped`, `delivered`, `completed`, `rejected` or `cancelled`."})
    buyer_name = fields.String()
    currency = fields.String()
    subtotal_amount = fields.Integer()
    shipping_amount = fields.Integer()
    total_amount = fields.Integer()
    paid_at = fields.DateTime()
    acceptance_due_at = fields.DateTime(metadata={
        "description": "Accept or reject before this, or the order is cancelled and refunded."})
