"""Request and response bodies of the cart."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from marketplace.addresses.rules import country_rules
from marketplace.addresses.schemas import COUNTRY_RULE
from marketplace.cart.models import MAX_LINE_QUANTITY
from marketplace.core.openapi import MAX_ID, WholeMatch
from tenants.slugs import SLUG_PATTERN

# The header of a guest cart's token, in requests (and in the answer that made the cart).
CART_TOKEN_HEADER = "X-Cart-Token"
SLUG_RULE = WholeMatch(SLUG_PATTERN.pattern, error="Not a seller's slug.")


def _quantity(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY),
                          metadata={"description": f"1 to {MAX_LINE_QUANTITY}."}, **kwargs)


class CartLineInputSchema(Schema):
    """A variant of a seller to put in the cart (added to its line if the cart has one)."""

    seller = fields.String(required=True, validate=SLUG_RULE, metadata={"description": "The seller's slug."})
    variant_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    quantity = _quantity()


class CartLineChangeSchema(Schema):
    """The quantity a line should hold."""

    quantity = _quantity()


def _known_country(code: str) -> None:
    # A well-formed code no country has would get the sellers' rest-of-world rates.
    if country_rules(code) is None:
        raise ValidationError("Not a known ISO 3166-1 alpha-2 country code.")


class CartQuerySchema(Schema):
    country = fields.String(validate=[COUNTRY_RULE, _known_country], metadata={
        "description": "Destination of the shipping options (ISO 3166-1 alpha-2); default: the signed-in "
                       "buyer's default shipping address."})


class CartSellerSchema(Schema):
    slug = fields.String()
    name = fields.String()


class ShippingOptionSchema(Schema):
    """A way the seller ships its lines to the destination, priced for them."""

    rate_id = fields.Integer()
    name = fields.String()
    amount = fields.Integer(metadata={"description": "Minor units of `currency`."})
    currency = fields.String()


class CartLineSchema(Schema):
    """A line of the cart, as the seller offers its variant now, with what changed since it was added."""

    id = fields.Integer()
    product_id = fields.Integer()
    variant_id = fields.Integer()
    product_slug = fields.String(allow_none=True, metadata={"description": "Null if the product is gone."})
    title = fields.String(allow_none=True, metadata={"description": "Null if the product is gone."})
    sku = fields.String(allow_none=True)
    options = fields.Dict(keys=fields.String(), values=fields.String())
    image_url = fields.String(allow_none=True)
    quantity = fields.Integer()
    unit_price_amount = fields.Integer(metadata={"description": "The price now, minor units of the cart's currency."})
    line_total_amount = fields.Integer(metadata={"description": "unit_price_amount × quantity."})
    added_unit_price_amount = fields.Integer(metadata={"description": "The price when the line was added or "
                                                                      "last changed."})
    price_changed = fields.Boolean(metadata={"description": "The price now differs from added_unit_price_amount."})
    insufficient_stock = fields.Boolean(metadata={"description": "Fewer are available now than the line holds."})
    available_quantity = fields.Integer(allow_none=True, metadata={
        "description": "How many are available, when fewer than the line holds; null otherwise."})
    unavailable = fields.Boolean(metadata={
        "description": "Cannot be bought now: the product is unpublished or gone, or the seller is not active. "
                       "Left out of the subtotals."})
    added_at = fields.DateTime()


class CartSellerGroupSchema(Schema):
    """The cart's lines of one seller, their subtotal and the seller's shipping options for them."""

    seller = fields.Nested(CartSellerSchema)
    lines = fields.List(fields.Nested(CartLineSchema))
    subtotal_amount = fields.Integer(metadata={"description": "The lines that can be bought, at today's prices."})
    shipping_options = fields.List(fields.Nested(ShippingOptionSchema), metadata={
        "description": "Empty without a destination country, or when the seller does not ship there."})


class CartSchema(Schema):
    """The cart: lines grouped per seller (sellers in a fixed order), subtotals in integer minor units."""

    currency = fields.String(allow_none=True, metadata={
        "description": "ISO 4217, set by the first line; null while the cart is empty."})
    line_count = fields.Integer()
    subtotal_amount = fields.Integer(metadata={"description": "The sum of the sellers' subtotals."})
    sellers = fields.List(fields.Nested(CartSellerGroupSchema))
    shipping_country = fields.String(allow_none=True, metadata={
        "description": "Where the shipping options ship to; null if no destination is known."})
    shipping_note = fields.String(metadata={"description": "Present when no destination is known: how to give one."})
    cart_token = fields.String(metadata={
        "description": "Only in the answer that made a guest cart: send it as `X-Cart-Token` from now on. "
                       "Shown once."})


class CartMergeAdjustmentSchema(Schema):
    """A guest cart line that did not move whole into the buyer's cart."""

    seller = fields.String(metadata={"description": "The seller's slug."})
    variant_id = fields.Integer()
    requested_quantity = fields.Integer(metadata={"description": "What the guest cart held."})
    merged_quantity = fields.Integer(metadata={"description": "What was added to the buyer's cart (0: none)."})
    reason = fields.String(metadata={
        "description": "`currency_mismatch` (the buyer's cart is in another currency), `unavailable` (not on "
                       "sale, or its seller not active), `insufficient_stock`, `quantity_limit` "
                       f"({MAX_LINE_QUANTITY} per line) or `cart_line_limit_reached`."})


class CartMergeSchema(Schema):
    """What became of the guest cart sent with a login (X-Cart-Token): merged into the buyer's, then deleted."""

    merged_line_count = fields.Integer(metadata={"description": "Guest lines added, whole or in part."})
    adjusted_lines = fields.List(fields.Nested(CartMergeAdjustmentSchema))
