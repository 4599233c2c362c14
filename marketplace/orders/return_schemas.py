"""Request and response bodies of returns: the buyer's request, the seller's list, decisions and receipt."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import StrictBoolean, TrimmedString
from marketplace.core.pagination import StrictQuerySchema
from marketplace.orders.models import ReturnStatus

MAX_ID = 2**63 - 1
MAX_QUANTITY = 2**31 - 1
MAX_RETURN_LINES = 500
DATE_TIME = {"format": "date-time"}
STATUSES = "`requested`, then `approved` or `rejected`; an approved return is `received`, then `refunded`."


class ReturnLineInputSchema(Schema):
    line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "A line of your order (its `id` in `GET /orders/{id}`)."})
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ReturnInputSchema(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Why; the seller sees it."})
    lines = fields.List(fields.Nested(ReturnLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_RETURN_LINES), metadata={
        "description": "The units to send back: never more of a line than delivered minus already in a return "
                       "that was not rejected."})


class ReturnReceiptLineSchema(Schema):
    line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "A line of the return (`lines[].line_id`, the seller order line)."})
    resellable = StrictBoolean(required=True, metadata={
        "description": "true: its units go back on hand with a `return` stock movement."})


class ReturnReceiptSchema(Schema):
    lines = fields.List(fields.Nested(ReturnReceiptLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_RETURN_LINES), metadata={
        "description": "Every line of the return, once each."})


class ReturnListQuerySchema(StrictQuerySchema):
    status = fields.List(fields.Enum(ReturnStatus, by_value=True), validate=validate.Length(max=5), metadata={
        "description": "Only returns in one of these statuses; repeat the parameter for several."})


class BuyerReturnLineSchema(Schema):
    line_id = fields.Integer(metadata={"description": "Your order line's id."})
    quantity = fields.Integer()


class ReturnFieldsSchema(Schema):
    id = fields.Integer()
    seller_order_id = fields.Integer()
    order_number = fields.Integer(metadata={"description": "The marketplace order's number, as the buyer sees it."})
    status = fields.String(metadata={"description": STATUSES})
    reason = fields.String(metadata={"description": "The buyer's."})
    decision_reason = fields.String(metadata={"description": "Why the seller rejected it (empty otherwise)."})
    refund_amount = fields.Integer(allow_none=True, metadata={
        "description": "Minor units, fixed at receipt: the goods' share plus shipping's (null before)."})
    refund_goods_amount = fields.Integer(allow_none=True, metadata={
        "description": "The returned units' share of their lines' totals."})
    refund_shipping_amount = fields.Integer(allow_none=True, metadata={
        "description": "The goods' share of shipping, if the seller's policy refunds shipping on returns, else 0."})
    created_at = fields.String(metadata=DATE_TIME)
    decided_at = fields.String(allow_none=True, metadata=DATE_TIME)
    received_at = fields.String(allow_none=True, metadata=DATE_TIME)
    refunded_at = fields.String(allow_none=True, metadata=DATE_TIME)


class BuyerReturnSchema(ReturnFieldsSchema):
    """A return as its buyer sees it."""

    lines = fields.List(fields.Nested(BuyerReturnLineSchema))


class SellerReturnLineSchema(Schema):
    line_id = fields.Integer(metadata={"description": "The seller order line."})
    order_line_id = fields.Integer(metadata={"description": "The buyer's order line."})
    sku = fields.String()
    title = fields.String()
    quantity = fields.Integer()
    resellable = fields.Boolean(allow_none=True, metadata={"description": "Set at receipt; null before."})


class SellerReturnSchema(ReturnFieldsSchema):
    """A return as its seller sees it."""

    refund_id = fields.Integer(allow_none=True, metadata={
        "description": "The refund that paid it back (`GET /sellers/{slug}/orders/{id}/refunds`), once recorded."})
    lines = fields.List(fields.Nested(SellerReturnLineSchema))
