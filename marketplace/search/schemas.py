"""Response bodies of the search API (the query strings are in `query.py`)."""
from __future__ import annotations

from marshmallow import Schema, fields

from marketplace.search.services import SearchPage


class SellerCardSchema(Schema):
    id = fields.Integer(attribute="seller_id")
    slug = fields.String(attribute="seller_slug")
    name = fields.String(attribute="seller_name")


class SearchItemSchema(Schema):
    product_id = fields.Integer()
    slug = fields.String(attribute="product_slug")
    title = fields.String()
    description = fields.String()
    seller = fields.Function(lambda document: SellerCardSchema().dump(document))
    category_id = fields.Integer(allow_none=True)
    category_path = fields.Function(lambda document: [
        {"id": category_id, "name": name}
        for category_id, name in zip(document.category_path_ids, document.category_path_names)
    ])
    attributes = fields.Dict(keys=fields.String(), values=fields.String())
    min_price_amount = fields.Integer(allow_none=True)
    max_price_amount = fields.Integer(allow_none=True)
    currency = fields.String()
    in_stock = fields.Boolean()
    rating = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    image_url = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class CategoryFacetSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    count = fields.Integer()


class SellerFacetSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    count = fields.Integer()


class PriceRangeFacetSchema(Schema):
    from_amount = fields.Integer(metadata={"description": "inclusive, minor units"})
    to_amount = fields.Integer(allow_none=True, metadata={"description": "exclusive, minor units; null: no bound"})
    count = fields.Integer()


class ValueFacetSchema(Schema):
    value = fields.String()
    count = fields.Integer()


class FacetsSchema(Schema):
    categories = fields.List(fields.Nested(CategoryFacetSchema))
    sellers = fields.List(fields.Nested(SellerFacetSchema))
    price_ranges = fields.List(fields.Nested(PriceRangeFacetSchema))
    attributes = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(ValueFacetSchema)))


class SearchPageSchema(Schema):
    total = fields.Integer(metadata={"description": "products matching, over all pages"})
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(SearchItemSchema))
    facets = fields.Nested(FacetsSchema)


class SuggestionSchema(Schema):
    text = fields.String()
    seller_slug = fields.String()
    product_slug = fields.String()


class SuggestionsSchema(Schema):
    suggestions = fields.List(fields.Nested(SuggestionSchema))


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
