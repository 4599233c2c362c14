"""The search API: marketplace search, a storefront's search, and suggestions while typing."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from marketplace.core import openapi_examples as examples, rate_limits
from marketplace.core.request_parsing import Blueprint
from marketplace.search import services
from marketplace.search.query import SearchArgsSchema, StorefrontSearchArgsSchema, SuggestArgsSchema
from marketplace.search.schemas import SearchPageSchema, SuggestionsSchema, search_page_body

blp = Blueprint("search", __name__, description="Full-text search with filters, facets and suggestions")


@blp.route("/search")
class MarketplaceSearch(MethodView):
    @rate_limits.search
    @blp.arguments(SearchArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, SearchPageSchema, example=examples.SEARCH_PAGE)
    @blp.alt_response(422, description="Unknown parameter, sort or filter, or a page too deep")
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    @blp.alt_response(503, description="The search engine is unavailable")
    def get(self, query):
        """Search the products of every seller"""
        return search_page_body(services.search_marketplace(query))


@blp.route("/sellers/<slug>/search")
class StorefrontSearch(MethodView):
    @rate_limits.search
    @blp.arguments(StorefrontSearchArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, SearchPageSchema, example=examples.SEARCH_PAGE)
    @blp.alt_response(404, description="No such seller, or not visible to buyers")
    @blp.alt_response(422, description="Unknown parameter, sort or filter, or a page too deep")
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    @blp.alt_response(503, description="The search engine is unavailable")
    def get(self, query, slug):
        """Search one seller's storefront"""
        return search_page_body(services.search_storefront(slug, query))


@blp.route("/search/suggest")
class Suggestions(MethodView):
    @rate_limits.suggest
    @blp.arguments(SuggestArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, SuggestionsSchema)
    @blp.alt_response(404, description="The `seller` named is no seller visible to buyers")
    @blp.alt_response(422, description="Missing or too long text")
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    def get(self, args):
        """Complete what a buyer is typing into product titles"""
        return {"suggestions": services.suggest(args["q"], args["limit"], args.get("seller"))}
