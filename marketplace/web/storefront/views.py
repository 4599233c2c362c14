"""The buyers' storefront at `/`: home, search, categories, sellers' storefronts, products, cart, checkout,
orders and the buyer's account.

Each area's views live in their own module (catalog_views, cart_views, order_views, account_views); importing
them here registers their routes on the one `shop` blueprint.
"""
from __future__ import annotations

from flask import render_template, request

from marketplace.catalog.categories import category_tree
from marketplace.web.storefront import account_views, cart_views, catalog_views, order_views  # noqa: F401 - routes
from marketplace.web.storefront.blueprint import blp
from marketplace.web.storefront.catalog_views import render_storefront, storefront_host_slug
from marketplace.web.storefront.showcase import featured_products, newest_products


@blp.get("/")
def home():
    """The marketplace's home page, or a seller's storefront on the seller's verified custom domain."""
    slug = storefront_host_slug(request.host)
    if slug is not None:
        return render_storefront(slug)
    return render_template("storefront/home.html", categories=category_tree(), featured=featured_products(),
                           newest=newest_products())
