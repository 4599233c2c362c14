"""The console's blueprint: every page under `/console`, every one for operators only.

The login check is the blueprint's own `before_request`, so that no page of
the console (nor the jobs dashboard) can be added without it.
"""
from __future__ import annotations

from flask import Blueprint

from marketplace.web.auth import operator_required

blp = Blueprint("console", __name__, url_prefix="/console")


@blp.before_request
@operator_required
def _operators_only():
    return None  # operator_required answers for anyone else: the login page or a 403 page
