"""Request and response bodies of the shipping rates API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString
from marketplace.core.openapi import WholeMatch
from marketplace.core.partial_updates import AtLeastOneField
from marketplace.shipping.models import ShippingRateKind

# A trillion minor units: far above any real price, well inside BIGINT (as the catalog's prices).
MAX_AMOUNT = 10**12
MAX_WEIGHT_GRAMS = 10_000_000
MAX_POSITION = 100_000
MAX_COUNTRIES = 250
MAX_WEIGHT_BANDS = 50
COUNTRY_OR_REST_RULE = WholeMatch(r"^([A-Z]{2}|\*)$",
                                  error="Use an ISO 3166-1 alpha-2 code in capitals, or * for the rest of the world.")


def _amount(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT), **kwargs)


class WeightBandSchema(Schema):
    up_to_grams = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_WEIGHT_GRAMS),
                                 metadata={"description": "The heaviest parcel (grams, included) of this band."})
    amount = _amount(required=True, metadata={"description": "Price in minor units of the seller's currency."})


class ShippingRateInputSchema(Schema):
    """A shipping rate: a flat price (`amount`) or a price per weight band (`weight_bands`), to some countries."""

    name = TrimmedString(required=True, validate=validate.Length(min=1, max=120),
                         metadata={"description": "Shown to buyers, e.g. \"Standard (3-5 days)\"."})
    countries = fields.List(fields.String(validate=COUNTRY_OR_REST_RULE), required=True,
                            validate=validate.Length(min=1, max=MAX_COUNTRIES), metadata={
                                "description": "Destination countries (ISO 3166-1 alpha-2), or \"*\": every "
                                               "country that none of the seller's rates names."})
    kind = fields.Enum(ShippingRateKind, by_value=True, required=True)
    amount = _amount(allow_none=True, metadata={
        "description": "Price of a flat rate, minor units of the seller's currency; null (or absent) for "
                       "weight bands."})
    weight_bands = fields.List(fields.Nested(WeightBandSchema), validate=validate.Length(max=MAX_WEIGHT_BANDS),
                               metadata={"description": "For `weight_bands` rates, by increasing `up_to_grams`; "
                                                        "a heavier parcel is not shipped by this rate."})
    free_over_amount = _amount(allow_none=True, metadata={
        "description": "A subtotal at or over this ships free; null: never free."})
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_POSITION),
                              metadata={"description": "Options are offered in this order (default 0)."})


class ShippingRateChangeSchema(AtLeastOneField, ShippingRateInputSchema):
    """Any subset of a rate's fields; the rate as changed must still be whole (a flat amount, or bands)."""


class ShippingRateSchema(Schema):
    """A shipping rate of the seller."""

    id = fields.Integer()
    name = fields.String()
    countries = fields.List(fields.String(), metadata={"description": "ISO codes, or \"*\" (rest of world)."})
    kind = fields.Enum(ShippingRateKind, by_value=True)
    amount = fields.Integer(allow_none=True, metadata={"description": "Flat price; null for weight bands."})
    weight_bands = fields.List(fields.Nested(WeightBandSchema))
    free_over_amount = fields.Integer(allow_none=True)
    position = fields.Integer()
    currency = fields.String(metadata={"description": "ISO 4217: the seller's currency, of every amount."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
