"""The pages' stylesheet, script and icons, served by the app itself (no CDN)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

STATIC_FOLDER = Path(__file__).resolve().parent / "static"

blp = Blueprint("assets", __name__, static_folder=str(STATIC_FOLDER), static_url_path="/assets")
