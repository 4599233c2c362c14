"""Browsing: search with facets, category pages, sellers' storefronts (also on their custom domains), products."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from marketplace.catalog.categories import CategoryNode, category_tree
from marketplace.reviews.services import list_product_reviews
from marketplace.search import services as search
from marketplace.search.query import SearchArgsSchema, SearchQuery, SortOrder
from marketplace.storefront.services import get_product, get_seller_profile
from marketplace.web.errors import error_page
from marketplace.web.pages import page_links, page_request
from marketplace.web.storefront.blueprint import blp
from marketplace.web.storefront.cart_forms import AddToCartForm
from marketplace.web.storefront.showcase import card_of_document, card_of_listing
from tenants.registry import slug_for_verified_host

SEARCH_PAGE_SIZE = 24
REVIEWS_PAGE_SIZE = 10
SORT_LABELS = {SortOrder.RELEVANCE: "Best match", SortOrder.PRICE_ASC: "Price, low to high",
               SortOrder.PRICE_DESC: "Price, high to low", SortOrder.NEWEST: "Newest", SortOrder.RATING: "Best rated"}
# The query string keys a search page reads; anything else (a tracking parameter, say) is ignored on pages.
SEARCH_KEYS = ("q", "category", "seller", "attr", "in_stock", "min_rating", "price_min", "price_max", "sort", "page")
LIST_KEYS = ("category", "seller", "attr")
# The price facet is one radio group: `price=1000-2500` is the band [10.00, 25.00), `price=25000-` has no top.
PRICE_BAND = re.compile(r"^([0-9]{1,12})-([0-9]{1,12})?$")
RATING_CHOICES = (4, 3, 2, 1)


def storefront_host_slug(host: str) -> str | None:
    """The slug of the seller whose verified custom domain this request came to; None on the marketplace's hosts."""
    hostname = (urlsplit("//" + host).hostname or "").lower().removesuffix(".")
    return slug_for_verified_host(hostname) if hostname else None


@blp.get("/search")
def search_page():
    """Every seller's products matching the words and the ticked facets."""
    query = _search_query()
    if isinstance(query, str):
        return error_page(422, query)
    return _render_results(search.search_marketplace(query), category=None)


@blp.get("/c/<slug>")
def category_page(slug: str):
    """A category's products (its subcategories' included), searchable and faceted like the search page."""
    node = _category_by_slug(category_tree(), slug)
    if node is None:
        return error_page(404, "There is no such category.")
    query = _search_query()
    if isinstance(query, str):
        return error_page(422, query)
    return _render_results(search.search_marketplace(_in_category(query, node.id)), category=node)


@blp.get("/s/<slug>")
def storefront_page(slug: str):
    """A seller's storefront: banner, about, policies, rating and newest products."""
    return render_storefront(slug)


def render_storefront(slug: str):
    profile = get_seller_profile(slug)
    products = [card_of_listing(item) for item in profile["products"]]
    return render_template("storefront/seller.html", profile=profile, products=products)


@blp.get("/s/<seller_slug>/<product_slug>")
def product_page(seller_slug: str, product_slug: str):
    """A product: images, variants with price and stock, reviews, and the form that puts it in the cart."""
    product = get_product(seller_slug, product_slug)
    return render_product(product, add_to_cart_form(product))


def add_to_cart_form(product: dict[str, Any]) -> AddToCartForm:
    """The form of this product's variants (sold-out ones shown, not choosable); the first in stock is chosen."""
    form = AddToCartForm(seller=product["seller"]["slug"], product=product["slug"])
    form.variant_id.choices = [SelectChoice(variant["id"], _variant_label(variant),
                                            render_kw={} if variant["in_stock"] else {"disabled": True})
                               for variant in product["variants"]]
    if form.variant_id.data is None:
        form.variant_id.data = next((variant["id"] for variant in product["variants"] if variant["in_stock"]), None)
    return form


def render_product(product: dict[str, Any], form: AddToCartForm, status: int = 200):
    asked = page_request(REVIEWS_PAGE_SIZE)
    reviews = list_product_reviews(product["seller"]["slug"], product["slug"], asked)
    can_buy = any(variant["in_stock"] for variant in product["variants"])
    return render_template("storefront/product.html", product=product, form=form, can_buy=can_buy,
                           reviews=reviews, review_links=page_links(reviews, asked)), status


def _variant_label(variant: dict[str, Any]) -> str:
    options = ", ".join(f"{name}: {value}" for name, value in variant["options"].items()) or variant["sku"]
    return options if variant["in_stock"] else f"{options} (sold out)"


def _search_query() -> SearchQuery | str:
    """The search the query string asks for, or what is wrong with it (empty values mean "no filter")."""
    values: dict[str, Any] = {}
    for key in SEARCH_KEYS:
        given = [value for value in request.args.getlist(key) if value.strip()]
        if given:
            values[key] = given if key in LIST_KEYS else given[0]
    values["page_size"] = SEARCH_PAGE_SIZE
    band = request.args.get("price", "").strip()
    if band:
        matched = PRICE_BAND.fullmatch(band)
        if matched is None:
            return "The price band is not valid. Choose one of those offered."
        values["price_min"] = int(matched.group(1))
        if matched.group(2):
            values["price_max"] = int(matched.group(2)) - 1  # bands exclude their top; price_max is inclusive
    try:
        return SearchArgsSchema().load(values)
    except ValidationError as error:
        fields = ", ".join(sorted(error.messages))
        return f"Some search options are not valid ({fields}). Change them and search again."


def _in_category(query: SearchQuery, category_id: int) -> SearchQuery:
    return replace(query, category_ids=(category_id,))


def _category_by_slug(nodes: list[CategoryNode], slug: str) -> CategoryNode | None:
    for node in nodes:
        if node.slug == slug:
            return node
        found = _category_by_slug(node.children, slug)
        if found is not None:
            return found
    return None


def _render_results(found: search.SearchPage, category: CategoryNode | None):
    facets = found.result.facets
    total_pages = max(1, -(-found.result.total // SEARCH_PAGE_SIZE))
    return render_template(
        "storefront/search.html", found=found, category=category, cards=[card_of_document(hit.document)
                                                                         for hit in found.result.hits],
        facets=facets, category_labels=found.categories, chosen=_chosen(), sort_labels=SORT_LABELS,
        price_currency=found.query.currency or next((hit.document.currency for hit in found.result.hits), "USD"),
        chosen_price=request.args.get("price", ""), rating_choices=RATING_CHOICES,
        page_number=found.query.page, total_pages=total_pages, page_href=_page_href)


def _chosen() -> dict[str, set[str]]:
    """The facet values ticked now, to tick their boxes again."""
    return {key: set(request.args.getlist(key)) for key in LIST_KEYS}


def _page_href(number: int) -> str:
    """This search's address on another page, every repeated facet value kept."""
    args = MultiDict(request.args)
    args.setlist("page", [str(number)])
    return url_for(request.endpoint, **(request.view_args or {}), **args.to_dict(flat=False))
