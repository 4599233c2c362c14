"""The public catalog API: the marketplace listing, product detail and seller profiles (no sign-in)."""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import request
from flask.views import MethodView
from marshmallow import RAISE

from marketplace.core import openapi_examples as examples
from marketplace.core.cache import MARKET_SCOPE
from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.storefront import services
from marketplace.storefront.response_cache import cached_responses
from marketplace.storefront.schemas import (
    ListingItemSchema, ListingQuerySchema, ProductDetailSchema, SellerProfileSchema,
)

blp = Blueprint("storefront", __name__, description="What buyers browse: products and seller storefronts")


def no_query_parameters(view: Callable) -> Callable:
    """Refuse any query parameter (422) on a read that takes none.

    A plain check rather than an empty schema: these are the hottest reads,
    and webargs parsing was a measurable share of their cost.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.args:
            raise ValidationFailed("This endpoint takes no query parameters.",
                                   errors={name: ["Unknown field."] for name in request.args})
        return view(*args, **kwargs)

    return wrapper


@blp.route("/products")
class Products(MethodView):
    @cached_responses(lambda: (MARKET_SCOPE,))
    @blp.arguments(ListingQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ListingItemSchema(many=True), example=examples.LISTING)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @paginated(blp)
    def get(self, filters, page_request):
        """The marketplace listing

        Published products of every active seller, newest first by default.
        Filters combine; the category filter includes every category below it.
        """
        return services.list_products(filters, page_request)


@blp.route("/products/<seller_slug>/<product_slug>")
class ProductDetail(MethodView):
    # The category path is cached marketplace-wide (see services.get_product).
    @cached_responses(lambda seller_slug, product_slug: (services.seller_scope(seller_slug), MARKET_SCOPE))
    @no_query_parameters
    @blp.response(200, ProductDetailSchema, example=examples.PRODUCT_PAGE)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, seller_slug, product_slug):
        """A product of an active seller

        Variants say whether they are in stock, not how many are left.
        """
        return services.get_product(seller_slug, product_slug)


@blp.route("/sellers/<slug>")
class SellerProfile(MethodView):
    @cached_responses(lambda slug: (services.seller_scope(slug),))
    @no_query_parameters
    @blp.response(200, SellerProfileSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, slug):
        """A seller's public profile

        The storefront's name, description, images and policies, the rating
        over all its products, and the first page of its products.
        """
        return services.get_seller_profile(slug)


@blp.route("/storefront")
class HostStorefront(MethodView):
    @no_query_parameters
    @blp.response(200, SellerProfileSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self):
        """The storefront of the custom domain this request was sent to

        On a seller's verified custom domain, its public profile (as
        `GET /sellers/{slug}`); on any other host, including a domain claimed
        but not yet proved, 404.
        """
        return services.get_storefront_for_host(urlsplit("//" + request.host).hostname or "")
