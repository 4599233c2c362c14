"""The storefront's blueprint, shared by its view modules."""
from __future__ import annotations

from flask import Blueprint

blp = Blueprint("shop", __name__)
