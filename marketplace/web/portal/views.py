"""The seller portal at `/portal`: the entry point and onboarding, then one seller's pages under `/portal/<slug>`.

The views are split by area; importing them here registers their routes on
the one blueprint (`blueprint.blp`), which marketplace/web/__init__.py registers.
"""
from __future__ import annotations

from marketplace.web.portal import (  # noqa: F401 - each module registers its routes
    dashboard, display, imports, invites, money, onboarding, orders, products, team,
)
from marketplace.web.portal.blueprint import blp

__all__ = ["blp"]
