"""Request and response examples of the main operations, as the OpenAPI document shows them.

Each one is checked against its schema (tests/test_openapi_document.py), and
the request examples are sent to the app by the conformance suite, so they
stay true as the schemas change.
"""
from __future__ import annotations

MOMENT = "2026-03-02T09:30:00+00:00"
LATER = "2026-03-05T16:45:00+00:00"

# Accounts

REGISTRATION = {"email": "ada@example.com", "password": "correct horse battery", "full_name": "Ada Lovelace"}
USER = {"id": 42, "email": "ada@example.com", "full_name": "Ada Lovelace", "is_operator": False, "created_at": MOMENT}
CREDENTIALS = {"email": "ada@example.com", "password": "correct horse battery"}
TOKEN = {"access_token": "mkt_5mQ1b9TtVvJx3c0yQe7a2H8rW4kZpLfN", "token_type": "Bearer", "expires_at": LATER}
PROFILE = {**USER, "memberships": [{"slug": "acme-tools", "display_name": "Acme Tools", "role": "owner"}]}
PROFILE_CHANGE = {"full_name": "Ada King"}

# Becoming a seller

APPLICATION_REQUEST = {
    "shop_name": "Acme Tools", "wanted_slug": "acme-tools", "contact_email": "hello@acme-tools.example",
    "country": "PT", "currency": "EUR", "description": "Hand tools forged in Porto.",
}
APPLICATION = {
    "id": 7, "applicant_user_id": 42, "applicant_email": "ada@example.com", **APPLICATION_REQUEST,
    "status": "pending", "rejection_reason": None, "decided_at": None, "tenant_slug": None, "created_at": MOMENT,
}

# A seller's catalog

PRODUCT_REQUEST = {
    "slug": "oak-table", "title": "Oak Table", "description": "Solid oak, oiled; seats six.", "category_id": 3,
    "attributes": {"material": "oak"},
    "images": [{"url": "https://img.acme-tools.example/oak-table.jpg", "alt": "The table in a kitchen",
                "position": 0}],
}
PRODUCT = {
    "id": 12, "slug": "oak-table", "title": "Oak Table", "description": "Solid oak, oiled; seats six.",
    "status": "published", "category_id": 3, "attributes": {"material": "oak"},
    "images": [{"url": "https://img.acme-tools.example/oak-table.jpg", "alt": "The table in a kitchen",
                "position": 0}],
    "variants": [{
        "id": 31, "product_id": 12, "sku": "OAK-180", "options": {"length": "180 cm"}, "price_amount": 89900,
        "compare_at_amount": None, "currency": "EUR", "weight_grams": 42000, "stock_on_hand": 4,
        "stock_reserved": 1, "stock_available": 3,
        "low_stock_threshold": 2, "is_low_on_stock": False,
    }],
    "version": 5, "published_at": LATER, "created_at": MOMENT, "updated_at": LATER,
}
PRODUCT_CHANGE = {
    "slug": "oak-dining-table", "title": "Oak Dining Table",
    "images": [{"url": "https://img.acme-tools.example/oak-table-2.jpg", "alt": "Set for dinner", "position": 0}],
}
DRAFT_PRODUCT = {**PRODUCT, "status": "draft", "variants": [], "version": 1, "published_at": None,
                 "updated_at": MOMENT}

# What buyers see

RATING = {"average": 4.5, "count": 2}
LISTING = [{
    "seller": {"slug": "acme-tools", "name": "Acme Tools"}, "slug": "oak-table", "title": "Oak Table",
    "category_id": 3, "min_price_amount": 89900, "max_price_amount": 89900, "currency": "EUR", "in_stock": True,
    "image_url": "https://img.acme-tools.example/oak-table.jpg", "rating": RATING, "published_at": LATER,
}]
PRODUCT_PAGE = {
    "seller": {"slug": "acme-tools", "name": "Acme Tools"}, "slug": "oak-table", "title": "Oak Table",
    "description": "Solid oak, oiled; seats six.", "attributes": {"material": "oak"},
    "images": [{"url": "https://img.acme-tools.example/oak-table.jpg", "alt": "The table in a kitchen"}],
    "variants": [{"id": 31, "sku": "OAK-180", "options": {"length": "180 cm"}, "price_amount": 89900,
                  "compare_at_amount": None, "currency": "EUR", "in_stock": True}],
    "category_id": 3, "category_path": [{"id": 1, "name": "Home", "slug": "home"},
                                        {"id": 3, "name": "Tables", "slug": "tables"}],
    "rating": RATING, "published_at": LATER,
}
SEARCH_PAGE = {
    "total": 1, "page": 1, "page_size": 20,
    "items": [{
        "product_id": 12, "slug": "oak-table", "title": "Oak Table", "description": "Solid oak, oiled; seats six.",
        "seller": {"id": 2, "slug": "acme-tools", "name": "Acme Tools"}, "category_id": 3,
        "category_path": [{"id": 1, "name": "Home"}, {"id": 3, "name": "Tables"}],
        "attributes": {"material": "oak"}, "min_price_amount": 89900, "max_price_amount": 89900, "currency": "EUR",
        "in_stock": True, "rating": 4.5, "rating_count": 2,
        "image_url": "https://img.acme-tools.example/oak-table.jpg", "published_at": LATER,
    }],
    "facets": {
        "categories": [{"id": 3, "name": "Tables", "slug": "tables", "count": 1}],
        "sellers": [{"id": 2, "slug": "acme-tools", "name": "Acme Tools", "count": 1}],
        "price_ranges": [{"from_amount": 50000, "to_amount": 100000, "count": 1}],
        "attributes": {"material": [{"value": "oak", "count": 1}]},
    },
}

# Reviews

REVIEW_REQUEST = {"order_line_id": 88, "rating": 5, "body": "Sturdy and beautifully finished."}
PUBLIC_REVIEW = {
    "id": 4, "rating": 5, "body": "Sturdy and beautifully finished.", "author_name": "Ada L.",
    "seller_reply": "Thank you, Ada!", "replied_at": LATER, "created_at": MOMENT,
}
REVIEW = {
    **PUBLIC_REVIEW, "seller_reply": None, "replied_at": None, "seller_slug": "acme-tools",
    "product_slug": "oak-table", "product_title": "Oak Table", "order_line_id": 88, "is_hidden": False,
}
