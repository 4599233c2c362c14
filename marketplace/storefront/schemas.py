"""Query strings and response bodies of the public catalog reads."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from marketplace.core.openapi import WholeMatch
from marketplace.core.pagination import StrictQuerySchema
from marketplace.storefront.services import ListingFilters, ListingSort

MAX_AMOUNT = 2**63 - 1


class CachedJsonSchema(Schema):
    """A response schema for values the services built in exactly this shape and cached as JSON.

    It documents the response; dumping hands the value over untouched.
    Re-serialising the same cached dicts field by field on every hit was a
    large share of a hot read's cost (profiled with bench/catalog_http.py).
    """

    def dump(self, obj, *, many=None):
        return obj


def cached_datetime(description: str) -> fields.String:
    """A moment already in ISO 8601 form (as cached values hold it), documented as a date-time."""
    return fields.String(allow_none=True, metadata={"format": "date-time", "description": description})


class ListingQuerySchema(StrictQuerySchema):
    category_id = fields.Integer(validate=validate.Range(min=1, max=MAX_AMOUNT), metadata={
        "description": "Only products of this category or of any category below it."})
    seller_slug = fields.String(data_key="seller", validate=validate.Length(min=1, max=40), metadata={
        "description": "Only products of the seller with this slug."})
    currency = fields.String(validate=WholeMatch(r"^[A-Z]{3}$", error="Must be an ISO 4217 code such as EUR."),
                             metadata={"description": "Only products priced in this currency."})
    min_price_amount = fields.Integer(data_key="min_price", validate=validate.Range(min=0, max=MAX_AMOUNT),
                                      metadata={"description": "Lowest 'from' price, in minor units (cents)."})
    max_price_amount = fields.Integer(data_key="max_price", validate=validate.Range(min=0, max=MAX_AMOUNT),
                                      metadata={"description": "Highest 'from' price, in minor units (cents)."})
    in_stock = fields.Boolean(metadata={"description": "true: only products with a variant in stock; "
                                                       "false: only sold-out products."})
    sort = fields.Enum(ListingSort, by_value=True, load_default=ListingSort.NEWEST)

    @validates_schema
    def _price_range_is_ordered(self, data, **kwargs):
        lowest, highest = data.get("min_price_amount"), data.get("max_price_amount")
        if lowest is not None and highest is not None and lowest > highest:
            raise ValidationError("Must not be below min_price.", "max_price")

    @post_load
    def _to_filters(self, data, **kwargs) -> ListingFilters:
        return ListingFilters(**data)


class RatingSchema(Schema):
    """The stars of the visible reviews."""

    average = fields.Float(allow_none=True, metadata={
        "description": "Mean of the visible reviews' stars, rounded to two decimals; null with no reviews."})
    count = fields.Integer(metadata={"description": "Visible reviews."})


class SellerSummarySchema(Schema):
    """The seller of a product."""

    slug = fields.String(metadata={"description": "The seller's slug."})
    name = fields.String(metadata={"description": "The seller's name."})


class ListingItemSchema(CachedJsonSchema):
    """A published product in the marketplace listing."""

    seller = fields.Nested(SellerSummarySchema, metadata={"description": "Who sells it."})
    slug = fields.String(metadata={"description": "The product's slug within its seller."})
    title = fields.String(metadata={"description": "The product's title."})
    category_id = fields.Integer(allow_none=True, metadata={"description": "Its category; null for none."})
    min_price_amount = fields.Integer(allow_none=True, metadata={"description": "Cheapest variant, minor units."})
    max_price_amount = fields.Integer(allow_none=True, metadata={"description": "Dearest variant, minor units."})
    currency = fields.String(metadata={"description": "ISO 4217."})
    in_stock = fields.Boolean(metadata={"description": "Whether a variant is in stock."})
    image_url = fields.String(allow_none=True, metadata={"description": "The first image; null for none."})
    rating = fields.Nested(RatingSchema, metadata={"description": "Its reviews' stars."})
    published_at = cached_datetime("First publication.")


class PublicImageSchema(Schema):
    """A product image, as buyers see it."""

    url = fields.String(metadata={"description": "Where the image is."})
    alt = fields.String(metadata={"description": "Text for people who cannot see it."})


class PublicVariantSchema(Schema):
    """A variant on sale, as buyers see it."""

    id = fields.Integer(metadata={"description": "What `POST /cart/lines` takes as `variant_id`."})
    sku = fields.String(metadata={"description": "The seller's stock-keeping unit."})
    options = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "What sets it apart, e.g. {\"size\": \"L\"}."})
    price_amount = fields.Integer(metadata={"description": "Minor units of `currency`."})
    compare_at_amount = fields.Integer(allow_none=True,
                                       metadata={"description": "A former price, minor units; null for none."})
    currency = fields.String(metadata={"description": "ISO 4217."})
    in_stock = fields.Boolean(metadata={"description": "Whether it can be bought now."})


class CategoryPathItemSchema(Schema):
    """A category on the way from the top of the tree to a product's category."""

    id = fields.Integer()
    name = fields.String()
    slug = fields.String()


class ProductDetailSchema(CachedJsonSchema):
    """A published product page: images, variants on sale, category path and rating."""

    seller = fields.Nested(SellerSummarySchema, metadata={"description": "Who sells it."})
    slug = fields.String(metadata={"description": "The product's slug within its seller."})
    title = fields.String(metadata={"description": "The product's title."})
    description = fields.String(metadata={"description": "Plain text."})
    attributes = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": "Free-form facts, e.g. {\"material\": \"oak\"}."})
    images = fields.List(fields.Nested(PublicImageSchema), metadata={"description": "In display order."})
    variants = fields.List(fields.Nested(PublicVariantSchema), metadata={"description": "What can be bought."})
    category_id = fields.Integer(allow_none=True, metadata={"description": "Its category; null for none."})
    category_path = fields.List(fields.Nested(CategoryPathItemSchema),
                                metadata={"description": "From the top of the tree down to the product's category."})
    rating = fields.Nested(RatingSchema, metadata={"description": "Its reviews' stars."})
    published_at = cached_datetime("First publication.")


class PoliciesSchema(Schema):
    """The seller's shipping and returns policies, as they wrote them."""

    shipping = fields.String()
    returns = fields.String()


class SellerProfileSchema(CachedJsonSchema):
    """A seller's public storefront profile with its first products."""

    slug = fields.String()
    display_name = fields.String()
    description = fields.String()
    logo_url = fields.String(allow_none=True)
    banner_url = fields.String(allow_none=True)
    policies = fields.Nested(PoliciesSchema)
    support_email = fields.String(allow_none=True)
    rating = fields.Nested(RatingSchema)
    product_count = fields.Integer(metadata={"description": "Published products; page on with GET /products?seller=."})
    products = fields.List(fields.Nested(ListingItemSchema),
                           metadata={"description": "The first page of the seller's products, newest first."})
