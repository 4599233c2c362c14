"""Request and response bodies of checkout and the buyer's orders."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString
from marketplace.orders.return_schemas import BuyerReturnSchema
from marketplace.orders.shipment_schemas import ShipmentSchema
from marketplace.refunds.schemas import RefundLineSchema

MAX_AMOUNT = 2**63 - 1
DATE_TIME = {"format": "date-time"}


class CheckoutInputSchema(Schema):
    """What to check out: the signed-in buyer's cart, shipped to one address."""

    shipping_address_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1), metadata={
        "description": "One of your addresses (`/me/addresses`); default: your default address."})
    shipping_rate_ids = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=63)),
                                    values=fields.Integer(validate=validate.Range(min=1, max=MAX_AMOUNT)),
                                    load_default=dict, validate=validate.Length(max=100), metadata={
        "description": "Seller slug → the shipping option chosen from the cart view; a seller left out ships "
                       "with its first option."})
    expected_total_amount = fields.Integer(load_default=None, allow_none=True,
                                           validate=validate.Range(min=0, max=MAX_AMOUNT), metadata={
        "description": "The total you saw; if prices or shipping changed since, 409 `total_changed`."})


class PaymentInputSchema(Schema):
    payment_method = TrimmedString(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "A gateway payment method: with the test gateway, a Stripe test card number "
                       "(4242424242424242 pays, 4000000000000002 is declined, 4000002500003155 asks for "
                       "authentication) or its `pm_card_…` id; with Stripe, a PaymentMethod id from Stripe.js."})


class OrderLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    variant_id = fields.Integer()
    sku = fields.String()
    title = fields.String(metadata={"description": "As it was at checkout."})
    options = fields.Dict(keys=fields.String(), values=fields.String())
    quantity = fields.Integer()
    unit_price_amount = fields.Integer(metadata={"description": "Minor units, as it was at checkout."})
    line_total_amount = fields.Integer()


class ShippingChoiceSchema(Schema):
    rate_id = fields.Integer()
    name = fields.String()
    amount = fields.Integer()


class SellerOrderMoveSchema(Schema):
    action = fields.String(metadata={"description": "accept, reject, cancel, ship_part, ship_all, deliver, complete"})
    from_status = fields.String()
    to_status = fields.String()
    actor = fields.String(metadata={"description": "Who moved it: seller, buyer, operator, carrier or system."})
    reason = fields.String()
    at = fields.String(metadata=DATE_TIME)
class BuyerRefundSchema(Schema):
    id = fields.Integer()
    amount = fields.Integer(metadata={"description": "Minor units."})
    currency = fields.String()
    reason = fields.String()
    lines = fields.List(fields.Nested(RefundLineSchema))
    status = fields.String(metadata={"description": "`pending`, `succeeded`, `failed`, `canceled` or "
                                                    "`requires_action`."})
    created_at = fields.String(metadata=DATE_TIME)


class SellerPartSchema(Schema):
    seller = fields.String(metadata={"description": "The seller's slug."})
    seller_name = fields.String()
    status = fields.String(metadata={"description": "`pending` until the paid order is routed, then the seller "
                                                    "order's status (`awaiting_acceptance`, ...)."})
    seller_order_id = fields.Integer(allow_none=True)
    shipping = fields.Nested(ShippingChoiceSchema)
    subtotal_amount = fields.Integer()
    shipping_amount = fields.Integer()
    total_amount = fields.Integer()
    lines = fields.List(fields.Nested(OrderLineSchema))
    history = fields.List(fields.Nested(SellerOrderMoveSchema), metadata={
        "description": "The seller order's moves, oldest first (empty until it is routed)."})
    shipments = fields.List(fields.Nested(ShipmentSchema), metadata={
        "description": "The seller's shipments of this part, each with its tracking events; `lines` name your "
                       "order's lines."})
    refunds = fields.List(fields.Nested(BuyerRefundSchema), metadata={
        "description": "Money given back for this seller's part, oldest first."})
    returns = fields.List(fields.Nested(BuyerReturnSchema), metadata={
        "description": "Your returns of this seller's units, oldest first (`POST /orders/{id}/sellers/{seller}/returns`)."})


class PaymentSchema(Schema):
    gateway = fields.String(metadata={"description": "`test` or `stripe`."})
    status = fields.String(metadata={"description": "The payment intent's status (`requires_payment_method`, "
                                                    "`requires_action`, `succeeded`, `canceled`, ...), or `pending` "
                                                    "before it is created."})
    amount = fields.Integer()
    currency = fields.String()
    client_secret = fields.String(allow_none=True, metadata={"description": "For Stripe.js / the Payment Element."})
    last_payment_error = fields.String(allow_none=True, metadata={"description": "Why the last attempt failed."})


class AddressSnapshotSchema(Schema):
    name = fields.String()
    line1 = fields.String()
    line2 = fields.String()
    city = fields.String()
    region = fields.String()
    postal_code = fields.String()
    country = fields.String()
    phone = fields.String(allow_none=True)


class OrderFieldsSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "`awaiting_payment`, `paid` or `expired`."})
    currency = fields.String()
    subtotal_amount = fields.Integer()
    shipping_amount = fields.Integer()
    total_amount = fields.Integer()
    shipping_address = fields.Nested(AddressSnapshotSchema)
    created_at = fields.String(metadata=DATE_TIME)
    expires_at = fields.String(allow_none=True, metadata={**DATE_TIME, "description": "Unpaid by then, it expires."})
    paid_at = fields.String(allow_none=True, metadata=DATE_TIME)


class OrderSchema(OrderFieldsSchema):
    """A marketplace order: one payment, one part per seller."""

    payment = fields.Nested(PaymentSchema, allow_none=True)
    sellers = fields.List(fields.Nested(SellerPartSchema))


class OrderSellerSummarySchema(Schema):
    seller = fields.String()
    seller_name = fields.String()
    status = fields.String()
    total_amount = fields.Integer()


class OrderSummarySchema(OrderFieldsSchema):
    payment_status = fields.String(allow_none=True)
    sellers = fields.List(fields.Nested(OrderSellerSummarySchema))
