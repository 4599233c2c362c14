"""The backend-neutral search query, built and validated from a request's query string.

    GET /search?q=mug&category=3&seller=acme&price_min=500&price_max=2500&currency=USD
               &in_stock=true&min_rating=4&attr=colour:blue&attr=colour:red&sort=price_asc&page=2

Values of one filter are alternatives (colour blue OR red); different filters
all apply (AND). Anything the schema does not know, an unknown sort included,
is a 422, never silently ignored. Pages are bounded: at most
`MAX_PAGE_SIZE` per page and `MAX_RESULT_WINDOW` results deep, past which a
buyer should narrow the search rather than page on.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from marketplace.core.openapi import MAX_ID, WholeMatch

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# OpenSearch's default index.max_result_window; the PostgreSQL backend keeps the same bound.
MAX_RESULT_WINDOW = 10_000
MAX_TEXT_LENGTH = 200
MAX_FILTER_VALUES = 20
MAX_SUGGESTIONS = 10
# Bucket edges of the price facet, in minor units of the product's own currency.
PRICE_RANGE_EDGES: tuple[int, ...] = (0, 1_000, 2_500, 5_000, 10_000, 25_000)


class SortOrder(str, enum.Enum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    RATING = "rating"


@dataclass(frozen=True)
class AttributeFilter:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    category_ids: tuple[int, ...] = ()
    seller_slugs: tuple[str, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    currency: str | None = None
    in_stock: bool = False
    min_rating: float | None = None
    attributes: tuple[AttributeFilter, ...] = ()
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    # Storefront search: only this seller's products (a scope, not a facet selection).
    seller_id: int | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def in_storefront(self, seller_id: int) -> "SearchQuery":
        return replace(self, seller_id=seller_id)


@dataclass(frozen=True)
class SuggestQuery:
    prefix: str
    limit: int = MAX_SUGGESTIONS
    seller_id: int | None = None


def price_ranges() -> list[tuple[int, int | None]]:
    """The price facet's buckets: [from, to) in minor units, the last one open-ended."""
    edges = list(PRICE_RANGE_EDGES)
    return [(low, high) for low, high in zip(edges, edges[1:] + [None])]


class SearchArgsSchema(Schema):
    """The query string of a search."""

    class Meta:
        unknown = RAISE

    q = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT_LENGTH),
                      metadata={"description": "Words to look for in titles, categories and descriptions"})
    category = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)), load_default=list,
                           validate=validate.Length(max=MAX_FILTER_VALUES),
                           metadata={"description": "Category ids (repeatable); a category includes its descendants"})
    seller = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                         validate=validate.Length(max=MAX_FILTER_VALUES),
                         metadata={"description": "Seller slugs (repeatable)"})
    price_min = fields.Integer(validate=validate.Range(min=0, max=10**12),
                               metadata={"description": "Lowest price, minor units"})
    price_max = fields.Integer(validate=validate.Range(min=0, max=10**12),
                               metadata={"description": "Highest price, minor units"})
    currency = fields.String(validate=WholeMatch(r"^[A-Z]{3}$", error="Must be an ISO 4217 code."))
    in_stock = fields.Boolean(load_default=False)
    min_rating = fields.Float(validate=validate.Range(min=0, max=5))
    attr = fields.List(
        fields.String(validate=WholeMatch(r"^[^:]{1,60}:.{1,200}$", error="Must be name:value.")),
        load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES),
        metadata={"description": "Attribute filters as name:value (repeatable)"},
    )
    sort = fields.String(load_default=SortOrder.RELEVANCE.value,
                         validate=validate.OneOf([order.value for order in SortOrder]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_RESULT_WINDOW), metadata={
        "description": f"Page number; page × page_size must not exceed {MAX_RESULT_WINDOW} (422 otherwise)"})
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                               metadata={"description": f"Results per page; page × page_size must not exceed "
                                                        f"{MAX_RESULT_WINDOW}"})

    @validates_schema
    def _check_ranges(self, data: dict, **kwargs) -> None:
        if data.get("price_min") is not None and data.get("price_max") is not None \
                and data["price_min"] > data["price_max"]:
            raise ValidationError("Must not be below price_min.", "price_max")
        if data.get("page", 1) * data.get("page_size", DEFAULT_PAGE_SIZE) > MAX_RESULT_WINDOW:
            raise ValidationError(
                f"Results deeper than {MAX_RESULT_WINDOW} are not served; narrow the search instead.", "page")

    @post_load
    def _to_query(self, data: dict, **kwargs) -> SearchQuery:
        return SearchQuery(
            text=data["q"].strip(),
            category_ids=tuple(dict.fromkeys(data["category"])),
            seller_slugs=tuple(dict.fromkeys(data["seller"])),
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            currency=data.get("currency"),
            in_stock=data["in_stock"],
            min_rating=data.get("min_rating"),
            attributes=_attribute_filters(data["attr"]),
            sort=SortOrder(data["sort"]),
            page=data["page"],
            page_size=data["page_size"],
        )


class StorefrontSearchArgsSchema(SearchArgsSchema):
    """A storefront's search: the seller is the one in the URL."""

    class Meta:
        unknown = RAISE
        exclude = ("seller",)

    @post_load
    def _to_query(self, data: dict, **kwargs) -> SearchQuery:
        return super()._to_query({**data, "seller": []}, **kwargs)


class SuggestArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    seller = fields.String(validate=validate.Length(min=1, max=40),
                           metadata={"description": "Only this seller's products (storefront search box)"})
    limit = fields.Integer(load_default=MAX_SUGGESTIONS, validate=validate.Range(min=1, max=MAX_SUGGESTIONS))


def _attribute_filters(pairs: list[str]) -> tuple[AttributeFilter, ...]:
    values_by_name: dict[str, list[str]] = {}
    for pair in pairs:
        name, value = pair.split(":", 1)
        values = values_by_name.setdefault(name, [])
        if value not in values:
            values.append(value)
    return tuple(AttributeFilter(name, tuple(values)) for name, values in values_by_name.items())
