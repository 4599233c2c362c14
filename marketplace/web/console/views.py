"""The operator console at `/console`: one module per area registers its pages on the one blueprint."""
from __future__ import annotations

from flask import render_template

from marketplace.web.console import catalog, jobs, money, people, sellers  # noqa: F401 - they register pages
from marketplace.web.console.blueprint import blp

__all__ = ["blp"]


@blp.get("")
def index():
    return render_template("console/index.html")
