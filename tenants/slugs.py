"""Tenant slugs: the public, URL-safe name of a seller."""
from __future__ import annotations

import re

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")

# Words that are, or may become, paths, hosts or roles of the platform itself.
RESERVED_SLUGS = frozenset({
    "about", "account", "accounts", "admin", "api", "app", "assets", "auth", "billing", "blog", "cart",
    "checkout", "dashboard", "docs", "help", "login", "logout", "mail", "marketplace", "me", "new",
    "operator", "operators", "orders", "payouts", "platform", "products", "public", "register", "root", "search",
    "seller", "sellers", "settings", "static", "status", "support", "system", "tenant", "tenants",
    "webhooks", "www",
})


class InvalidSlug(ValueError):
    def __init__(self, slug: str, reason: str):
        self.slug = slug
        self.reason = reason
        super().__init__(f"{slug!r}: {reason}")


def validate_slug(slug: str) -> str:
    """Return `slug` if it may name a tenant, else raise InvalidSlug saying why."""
    if not isinstance(slug, str) or not 3 <= len(slug) <= 40:
        raise InvalidSlug(str(slug), "must be 3 to 40 characters long")
    if not SLUG_PATTERN.fullmatch(slug) or "--" in slug:
        raise InvalidSlug(slug, "may hold only lowercase letters, digits and single hyphens, "
                                "and must start and end with a letter or digit")
    if slug in RESERVED_SLUGS:
        raise InvalidSlug(slug, "is reserved")
    return slug
