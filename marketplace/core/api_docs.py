"""Swagger UI's files for /api/docs, served by the app from the swagger-ui-bundle package.

flask-smorest's page loads Swagger UI from the URL in OPENAPI_SWAGGER_UI_URL;
pointed at a CDN, the docs were blank offline. The package ships Swagger UI's
dist files and is installed with the app, so the docs need no other host.
"""
from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

SWAGGER_UI_URL = "/api/docs/assets/"
ASSET_MAX_AGE_SECONDS = 24 * 3600

blp = Blueprint("api_docs_assets", __name__)


@blp.get(f"{SWAGGER_UI_URL}<path:filename>")
def swagger_ui_asset(filename: str):
    """One file of Swagger UI (script, style sheet, icon); an unknown name is a JSON 404."""
    return send_from_directory(swagger_ui_path, filename, max_age=ASSET_MAX_AGE_SECONDS)
