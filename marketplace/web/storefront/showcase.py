"""Product cards as the pages show them, and what the home page shows.

Search documents and the cached listing's rows name their fields differently;
`ProductCard` is the one shape the `product_card` macro draws. There is no
"featured" flag in the catalog: featured means the best rated products with
at least one review, as the search ranks them (`sort=rating`). The newest
come from the cached marketplace listing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.core.pagination import PageRequest
from marketplace.search import services as search
from marketplace.search.documents import ProductDocument
from marketplace.search.query import SearchQuery, SortOrder
from marketplace.storefront.services import ListingFilters, ListingSort, list_products

HOME_SHELF_SIZE = 8


@dataclass(frozen=True)
class ProductCard:
    seller_slug: str
    seller_name: str
    product_slug: str
    title: str
    min_price_amount: int | None
    max_price_amount: int | None
    currency: str
    in_stock: bool
    image_url: str | None
    rating: float | None
    rating_count: int


def card_of_document(document: ProductDocument) -> ProductCard:
    return ProductCard(document.seller_slug, document.seller_name, document.product_slug, document.title,
                       document.min_price_amount, document.max_price_amount, document.currency, document.in_stock,
                       document.image_url, document.rating, document.rating_count)


def card_of_listing(item: dict[str, Any]) -> ProductCard:
    return ProductCard(item["seller"]["slug"], item["seller"]["name"], item["slug"], item["title"],
                       item["min_price_amount"], item["max_price_amount"], item["currency"], item["in_stock"],
                       item["image_url"], item["rating"]["average"], item["rating"]["count"])


def featured_products() -> list[ProductCard]:
    """The best rated products that have reviews; none while the search engine is down (the home page stays up)."""
    try:
        page = search.search_marketplace(SearchQuery(sort=SortOrder.RATING, page_size=HOME_SHELF_SIZE))
    except search.SearchDown:  # logged by the search service
        return []
    return [card_of_document(hit.document) for hit in page.result.hits if hit.document.rating_count]


def newest_products() -> list[ProductCard]:
    page = list_products(ListingFilters(sort=ListingSort.NEWEST), PageRequest(number=1, size=HOME_SHELF_SIZE))
    return [card_of_listing(item) for item in page.items]
