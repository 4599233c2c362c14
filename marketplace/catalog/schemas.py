"""Request and response bodies of the catalog API (and of each CSV import row, which loads the same schemas)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from marketplace.accounts.schemas import TrimmedString
from marketplace.openapi import MAX_ID
from marketplace.partial_updates import AtLeastOneField
from marketplace.catalog.models import ImportStatus, ProductStatus, StockReason

SLUG_RULE = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                            error="Use lowercase letters, digits and single hyphens between them.")
SKU_RULE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                           error="Use letters, digits and . _ / - (starting with a letter or digit).")
CURRENCY_RULE = validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code in capitals, e.g. EUR.")

MAX_SLUG_LENGTH = 120
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000
MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_KEY_LENGTH = 40
MAX_ATTRIBUTE_VALUE_LENGTH = 200
MAX_IMAGES = 20
MAX_URL_LENGTH = 2000
MAX_ALT_LENGTH = 300
MAX_OPTIONS = 10
MAX_OPTION_VALUE_LENGTH = 100
# A trillion minor units: far above any real price, well inside BIGINT.
MAX_AMOUNT = 10**12
MAX_WEIGHT_GRAMS = 10_000_000
MAX_STOCK = 10_000_000
MAX_POSITION = 100_000
MAX_NOTE_LENGTH = 300

# Sales and reservations are recorded by checkout; people record these.
MANUAL_STOCK_REASONS = (StockReason.RECEIPT, StockReason.ADJUSTMENT, StockReason.RETURN)
# Goods arrive or come back: a negative quantity for these is a typo, not a correction.
INBOUND_STOCK_REASONS = (StockReason.RECEIPT, StockReason.RETURN)


def _amount(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT), **kwargs)


def _string_map(max_entries: int, max_value_length: int) -> fields.Dict:
    return fields.Dict(
        load_default=dict,
        keys=TrimmedString(validate=validate.Length(min=1, max=MAX_ATTRIBUTE_KEY_LENGTH)),
        values=TrimmedString(validate=validate.Length(min=1, max=max_value_length)),
        validate=validate.Length(max=max_entries),
    )


# Categories

class CategoryInputSchema(Schema):
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=120))
    slug = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_SLUG_LENGTH), SLUG_RULE])
    parent_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                               validate=validate.Range(min=1, max=MAX_ID),
                               metadata={"description": "The parent category; null for a top-level one."})
    position = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_POSITION),
                              metadata={"description": "Order among siblings, smallest first."})


class CategoryChangeSchema(AtLeastOneField, CategoryInputSchema):
    """A rename and/or a move: any subset of the fields."""


class CategoryDeleteArgsSchema(Schema):
    reassign_to = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "Move the products of the deleted categories here; required while any product uses them."})


class CategorySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    parent_id = fields.Integer(allow_none=True)
    position = fields.Integer()


class CategoryTreeSchema(CategorySchema):
    children = fields.List(fields.Nested(lambda: CategoryTreeSchema()))


# Products

class ImageInputSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=MAX_URL_LENGTH))
    alt = TrimmedString(load_default="", validate=validate.Length(max=MAX_ALT_LENGTH))
    position = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))


class ProductInputSchema(Schema):
    slug = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_SLUG_LENGTH), SLUG_RULE])
    title = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_TITLE_LENGTH))
    description = fields.String(load_default="", validate=validate.Length(max=MAX_DESCRIPTION_LENGTH))
    category_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                 validate=validate.Range(min=1, max=MAX_ID))
    attributes = _string_map(MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUE_LENGTH)
    images = fields.List(fields.Nested(ImageInputSchema), load_default=list, validate=validate.Length(max=MAX_IMAGES),
                         metadata={"description": "The whole list; an update replaces it."})


class ProductChangeSchema(AtLeastOneField, ProductInputSchema):
    """Any subset of a product's fields; status changes through publish/unpublish/archive."""


class ProductFilterSchema(Schema):
    class Meta:
        # The pagination parameters share the query string.
        unknown = EXCLUDE

    status = fields.Enum(ProductStatus, by_value=True)


class ProductImageSchema(Schema):
    url = fields.String()
    alt = fields.String()
    position = fields.Integer()


# Variants and stock

class VariantInputSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=64), SKU_RULE])
    options = _string_map(MAX_OPTIONS, MAX_OPTION_VALUE_LENGTH)
    price_amount = _amount(required=True, metadata={"description": "Minor units of the seller's currency."})
    compare_at_amount = _amount(allow_none=True, load_default=None)
    currency = fields.String(validate=CURRENCY_RULE,
                             metadata={"description": "Must be the seller's currency; defaults to it."})
    weight_grams = fields.Integer(strict=True, allow_none=True, load_default=None,
                                  validate=validate.Range(min=0, max=MAX_WEIGHT_GRAMS))
    low_stock_threshold = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_STOCK))


class VariantChangeSchema(AtLeastOneField, VariantInputSchema):
    """Any subset of a variant's fields; stock changes through stock movements only."""


class ProductVariantSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    sku = fields.String()
    options = fields.Dict(keys=fields.String(), values=fields.String())
    price_amount = fields.Integer()
    compare_at_amount = fields.Integer(allow_none=True)
    currency = fields.String()
    weight_grams = fields.Integer(allow_none=True)
    stock_on_hand = fields.Integer()
    low_stock_threshold = fields.Integer()
    is_low_on_stock = fields.Boolean()


class ProductSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    status = fields.Enum(ProductStatus, by_value=True)
    category_id = fields.Integer(allow_none=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.String())
    images = fields.List(fields.Nested(ProductImageSchema))
    variants = fields.List(fields.Nested(ProductVariantSchema))
    version = fields.Integer(metadata={"description": "Goes up with every change of the product or its parts."})
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StockMovementInputSchema(Schema):
    quantity_delta = fields.Integer(required=True, strict=True, validate=[
        validate.Range(min=-MAX_STOCK, max=MAX_STOCK), validate.NoneOf([0], error="Must not be zero.")])
    reason = fields.Enum(StockReason, by_value=True, required=True, validate=validate.OneOf(
        MANUAL_STOCK_REASONS, error="Must be receipt, adjustment or return; sales are recorded by checkout."))
    note = TrimmedString(load_default="", validate=validate.Length(max=MAX_NOTE_LENGTH))

    @validates_schema
    def _inbound_is_positive(self, data, **kwargs):
        if data.get("reason") in INBOUND_STOCK_REASONS and data.get("quantity_delta", 1) < 0:
            raise ValidationError("Must be positive for a receipt or a return; use an adjustment to remove stock.",
                                  "quantity_delta")


class StockMovementSchema(Schema):
    id = fields.Integer()
    variant_id = fields.Integer()
    quantity_delta = fields.Integer()
    reason = fields.Enum(StockReason, by_value=True)
    note = fields.String()
    created_by_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    stock_on_hand = fields.Integer(metadata={"description": "The variant's stock after this movement."})


# CSV imports

class ImportRowErrorSchema(Schema):
    line = fields.Integer(metadata={"description": "Line of the CSV file where the row starts (the header is 1)."})
    errors = fields.Dict(metadata={"description": "Field (CSV column) → messages."})


class CatalogImportSchema(Schema):
    id = fields.Integer()
    status = fields.Enum(ImportStatus, by_value=True)
    filename = fields.String()
    row_count = fields.Integer()
    imported_count = fields.Integer()
    row_errors = fields.List(fields.Nested(ImportRowErrorSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ImportRowExtrasSchema(Schema):
    """The CSV columns with no counterpart in the product and variant bodies of the API."""

    status = fields.Enum(ProductStatus, by_value=True)
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_STOCK))
