"""The portal's one blueprint; its views are split by area into the modules `views.py` imports."""
from __future__ import annotations

from flask import Blueprint

blp = Blueprint("portal", __name__, url_prefix="/portal")
