"""Response bodies of the search API (the query strings are in `query.py`)."""
from __future__ import annotations

from marshmallow import Schema, fields

from marketplace.search.services import SearchPage


class SellerCardSchema(Schema):
    """The seller of a search result."""

    id = fields.Integer(attribute="seller_id", metadata={"description": "The seller's id."})
    slug = fields.String(attribute="seller_slug", metadata={"description": "The seller's slug."})
    name = fields.String(attribute="seller_name", metadata={"description": "The seller's name."})


class SearchItemSchema(Schema):
    """A published product of an active seller that matches the search."""

    product_id = fields.Integer(metadata={"description": "The product's id within its seller."})
    slug = fields.String(attribute="product_slug", metadata={"description": "The product's slug."})
    title = fields.String(metadata={"description": "The product's title."})
    description = fields.String(metadata={"description": "The product's description."})
    seller = fields.Function(lambda document: SellerCardSchema().dump(document))
    category_id = fields.Integer(allow_none=True, metadata={"description": "Its category; null for none."})
    category_path = fields.Function(lambda document: [
        {"id": category_id, "name": name}
        for category_id, name in zip(document.category_path_ids, document.category_path_names)
    ])
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "Its attributes."})
    min_price_amount = fields.Integer(allow_none=True, metadata={"description": "Cheapest variant, minor units."})
    max_price_amount = fields.Integer(allow_none=True, metadata={"description": "Dearest variant, minor units."})
    currency = fields.String(metadata={"description": "ISO 4217."})
    in_stock = fields.Boolean(metadata={"description": "Whether a variant is in stock."})
    rating = fields.Float(allow_none=True,
                          metadata={"description": "Mean stars of the visible reviews; null with none."})
    rating_count = fields.Integer(metadata={"description": "Visible reviews."})
    image_url = fields.String(allow_none=True, metadata={"description": "The first image; null for none."})
    published_at = fields.DateTime(allow_none=True, metadata={"description": "First publication."})


class CategoryFacetSchema(Schema):
    """A category among the results, and how many results it holds."""

    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    count = fields.Integer()


class SellerFacetSchema(Schema):
    """A seller among the results, and how many results it holds."""

    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    count = fields.Integer()


class PriceRangeFacetSchema(Schema):
    """A price band, and how many results fall in it."""

    from_amount = fields.Integer(metadata={"description": "inclusive, minor units"})
    to_amount = fields.Integer(allow_none=True, metadata={"description": "exclusive, minor units; null: no bound"})
    count = fields.Integer()


class ValueFacetSchema(Schema):
    """An attribute value among the results, and how many results have it."""

    value = fields.String()
    count = fields.Integer()


class FacetsSchema(Schema):
    """Counts of the results by category, seller, price band and attribute, to narrow the search."""

    categories = fields.List(fields.Nested(CategoryFacetSchema))
    sellers = fields.List(fields.Nested(SellerFacetSchema))
    price_ranges = fields.List(fields.Nested(PriceRangeFacetSchema))
    attributes = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(ValueFacetSchema)))


class SearchPageSchema(Schema):
    """One page of search results, with facets over all of them."""

    total = fields.Integer(metadata={"description": "products matching, over all pages"})
    page = fields.Integer(metadata={"description": "This page's number."})
    page_size = fields.Integer(metadata={"description": "Results per page."})
    items = fields.List(fields.Nested(SearchItemSchema), metadata={"description": "The results of this page."})
    facets = fields.Nested(FacetsSchema, metadata={"description": "Counts over all the results."})


class SuggestionSchema(Schema):
    """A product title that completes what the buyer is typing."""

    text = fields.String()
    seller_slug = fields.String()
    product_slug = fields.String()


class SuggestionsSchema(Schema):
    """Completions of the typed text, best first."""

    suggestions = fields.List(fields.Nested(SuggestionSchema), metadata={"description": "Best first."})


def search_page_body(page: SearchPage) -> dict:
    """What `SearchPageSchema` dumps: the page with its category facet labelled."""
    facets = page.result.facets
    return {
        "total": page.result.total,
        "page": page.query.page,
        "page_size": page.query.page_size,
        "items": [hit.document for hit in page.result.hits],
        "facets": {
            "categories": [
                {"id": count.category_id, "name": page.categories.get(count.category_id, ("", ""))[0],
                 "slug": page.categories.get(count.category_id, ("", ""))[1], "count": count.count}
                for count in facets.categories
            ],
            "sellers": [{"id": count.seller_id, "slug": count.seller_slug, "name": count.seller_name,
                         "count": count.count} for count in facets.sellers],
            "price_ranges": facets.price_ranges,
            "attributes": facets.attributes,
        },
    }
