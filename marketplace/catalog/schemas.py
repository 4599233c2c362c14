"""Request and response bodies of the catalog API (and of each CSV import row, which loads the same schemas)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from marketplace.catalog.models import ImportStatus, ProductStatus, StockReason
from marketplace.core.fields import TrimmedString
from marketplace.core.openapi import MAX_ID, WholeMatch
from marketplace.core.partial_updates import AtLeastOneField

SLUG_RULE = WholeMatch(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                            error="Use lowercase letters, digits and single hyphens between them.")
SKU_RULE = WholeMatch(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                           error="Use letters, digits and . _ / - (starting with a letter or digit).")
CURRENCY_RULE = WholeMatch(r"^[A-Z]{3}$", error="Use an ISO 4217 code in capitals, e.g. EUR.")

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
    """A new category of the marketplace tree."""

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
    """A category of the marketplace tree."""

    id = fields.Integer(metadata={"description": "The category's id."})
    name = fields.String(metadata={"description": "Shown to buyers."})
    slug = fields.String(metadata={"description": "Unique in the marketplace."})
    parent_id = fields.Integer(allow_none=True, metadata={"description": "The category above; null at the top."})
    position = fields.Integer(metadata={"description": "Order among siblings."})


class CategoryTreeSchema(CategorySchema):
    """A category with the categories below it."""

    children = fields.List(fields.Nested(lambda: CategoryTreeSchema()),
                           metadata={"description": "The categories right below, by position."})


# Products

class ImageInputSchema(Schema):
    """A product image, by URL."""

    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=MAX_URL_LENGTH))
    alt = TrimmedString(load_default="", validate=validate.Length(max=MAX_ALT_LENGTH))
    position = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))


class ProductInputSchema(Schema):
    """A new product (a draft until published); variants are added separately."""

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
    """A product image, in display order."""

    url = fields.String(metadata={"description": "Where the image is."})
    alt = fields.String(metadata={"description": "Text for people who cannot see it."})
    position = fields.Integer(metadata={"description": "Display order, smallest first."})


# Variants and stock

class VariantInputSchema(Schema):
    """A new sellable variant of a product (e.g. a size or colour), with its price."""

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
    """A sellable variant of a product, with its price and stock."""

    id = fields.Integer(metadata={"description": "The variant's id."})
    product_id = fields.Integer(metadata={"description": "Its product."})
    sku = fields.String(metadata={"description": "Unique in the seller's catalog."})
    options = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "What sets it apart, e.g. {\"size\": \"L\"}."})
    price_amount = fields.Integer(metadata={"description": "Price in minor units of `currency` (cents)."})
    compare_at_amount = fields.Integer(allow_none=True,
                                       metadata={"description": "A former price, shown struck through; null for none."})
    currency = fields.String(metadata={"description": "ISO 4217, the seller's currency."})
    weight_grams = fields.Integer(allow_none=True, metadata={"description": "For shipping; null if unknown."})
    stock_on_hand = fields.Integer(metadata={"description": "Units in stock: the sum of the stock movements."})
    stock_reserved = fields.Integer(metadata={"description": "Units held by unpaid checkouts (part of stock on hand)."})
    stock_available = fields.Integer(metadata={"description": "What buyers can still buy: on hand minus reserved."})
    low_stock_threshold = fields.Integer(metadata={"description": "At or below this stock, the variant is low."})
    is_low_on_stock = fields.Boolean(metadata={"description": "Whether available stock is at or below the threshold."})


class ProductSchema(Schema):
    """A product of the seller's catalog, as its staff see it (any status)."""

    id = fields.Integer(metadata={"description": "The product's id, unique within the seller."})
    slug = fields.String(metadata={"description": "Unique within the seller; part of the product's URL."})
    title = fields.String(metadata={"description": "Shown to buyers."})
    description = fields.String(metadata={"description": "Plain text."})
    status = fields.Enum(ProductStatus, by_value=True, metadata={"description": "draft, published or archived."})
    category_id = fields.Integer(allow_none=True, metadata={"description": "Its marketplace category; null for none."})
    attributes = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": "Free-form facts, e.g. {\"material\": \"oak\"}."})
    images = fields.List(fields.Nested(ProductImageSchema), metadata={"description": "In display order."})
    variants = fields.List(fields.Nested(ProductVariantSchema),
                           metadata={"description": "What can be bought; publishing needs one."})
    version = fields.Integer(metadata={"description": "Goes up with every change of the product or its parts."})
    published_at = fields.DateTime(allow_none=True,
                                   metadata={"description": "First publication; null while never published."})
    created_at = fields.DateTime(metadata={"description": "When it was added."})
    updated_at = fields.DateTime(metadata={"description": "Last change."})


class StockMovementInputSchema(Schema):
    """A change of a variant's stock on hand, with its reason."""

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
    """A recorded change of stock; stock on hand is the sum of these."""

    id = fields.Integer(metadata={"description": "The movement's id."})
    variant_id = fields.Integer(metadata={"description": "The variant whose stock changed."})
    quantity_delta = fields.Integer(metadata={"description": "Units added (positive) or removed (negative)."})
    reason = fields.Enum(StockReason, by_value=True, metadata={"description": "Why the stock changed."})
    note = fields.String(metadata={"description": "Free text."})
    created_by_user_id = fields.Integer(allow_none=True,
                                        metadata={"description": "Who recorded it; null when the system did."})
    created_at = fields.DateTime(metadata={"description": "When it was recorded."})
    stock_on_hand = fields.Integer(metadata={"description": "The variant's stock after this movement."})


# CSV imports

class ImportRowErrorSchema(Schema):
    """A CSV row that was not imported, and why."""

    line = fields.Integer(metadata={"description": "Line of the CSV file where the row starts (the header is 1)."})
    errors = fields.Dict(metadata={"description": "Field (CSV column) → messages."})


class CatalogImportSchema(Schema):
    """A CSV catalog import: its progress and the rows it refused."""

    id = fields.Integer(metadata={"description": "The import's id."})
    status = fields.Enum(ImportStatus, by_value=True, metadata={"description": "queued, running, done or failed."})
    filename = fields.String(metadata={"description": "As uploaded."})
    row_count = fields.Integer(metadata={"description": "Rows in the file."})
    imported_count = fields.Integer(metadata={"description": "Rows imported so far."})
    row_errors = fields.List(fields.Nested(ImportRowErrorSchema),
                             metadata={"description": "The rows refused, by line."})
    created_at = fields.DateTime(metadata={"description": "When it was uploaded."})
    updated_at = fields.DateTime(metadata={"description": "Last progress."})


class ImportRowExtrasSchema(Schema):
    """The CSV columns with no counterpart in the product and variant bodies of the API."""

    status = fields.Enum(ProductStatus, by_value=True)
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_STOCK))
