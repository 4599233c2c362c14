"""Request and response bodies of the address book."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString
from marketplace.core.openapi import WholeMatch
from marketplace.core.partial_updates import AtLeastOneField

COUNTRY_RULE = WholeMatch(r"^[A-Z]{2}$", error="Use an ISO 3166-1 alpha-2 code in capitals, e.g. PT.")
PHONE_RULE = WholeMatch(r"^\+?[0-9][0-9 ().-]{5,30}$", error="Use digits, spaces and + ( ) . - only.")


class AddressInputSchema(Schema):
    """A shipping address. Postal code and region are checked against the country's rules."""

    name = TrimmedString(required=True, validate=validate.Length(min=1, max=120),
                         metadata={"description": "Who receives the parcel."})
    line1 = TrimmedString(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "Street and number."})
    line2 = TrimmedString(load_default="", validate=validate.Length(max=200),
                          metadata={"description": "Flat, floor, building; may be empty."})
    city = TrimmedString(required=True, validate=validate.Length(min=1, max=120))
    region = TrimmedString(load_default="", validate=validate.Length(max=120), metadata={
        "description": "State, province or prefecture. Required where the country needs one (US, CA, AU, BR, "
                       "IT, ES, JP, ...), then one of its subdivisions, by code or name (stored as the code)."})
    postal_code = TrimmedString(load_default="", validate=validate.Length(max=20), metadata={
        "description": "Must fit the country's pattern (US ZIP or ZIP+4, CA A1A 1A1, GB, DE, ...); stored in "
                       "capitals. Required where the country has postal codes."})
    country = fields.String(required=True, validate=COUNTRY_RULE,
                            metadata={"description": "ISO 3166-1 alpha-2, e.g. PT."})
    phone = fields.String(allow_none=True, load_default=None, validate=PHONE_RULE,
                          metadata={"description": "For the carrier; optional."})


class AddressChangeSchema(AtLeastOneField, AddressInputSchema):
    """Any subset of an address's fields; the whole address is checked again against its country's rules."""


class AddressSchema(Schema):
    """An address of the signed-in buyer's address book."""

    id = fields.Integer()
    name = fields.String()
    line1 = fields.String()
    line2 = fields.String()
    city = fields.String()
    region = fields.String(metadata={"description": "The subdivision code where the country lists them."})
    postal_code = fields.String()
    country = fields.String(metadata={"description": "ISO 3166-1 alpha-2."})
    phone = fields.String(allow_none=True)
    is_default = fields.Boolean(metadata={"description": "The default shipping address; one at most."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
