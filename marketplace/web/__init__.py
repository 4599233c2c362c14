"""The three web faces: the buyers' storefront (`/`), the seller portal (`/portal`), the operator console (`/console`).

Pages are rendered on the server with Jinja and call the same services as the
JSON API, never the API over HTTP. This package holds what the faces share:
cookie sessions (only for pages; the API stays cookie-free), login, CSRF on
every form, security headers, formatting filters, the layout and the error
pages. Each face is a blueprint in its own package.
"""
from __future__ import annotations

from flask import Flask

from marketplace.web import errors, formatting, security, sessions
from marketplace.web.assets import blp as assets_blp
from marketplace.web.auth import blp as auth_blp, viewer
from marketplace.web.console.views import blp as console_blp
from marketplace.web.portal.views import blp as portal_blp
from marketplace.web.storefront.views import blp as storefront_blp

FACE_BLUEPRINTS = (assets_blp, auth_blp, storefront_blp, portal_blp, console_blp)


def init_web(app: Flask) -> None:
    sessions.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    app.add_template_global(viewer)
    for blueprint in FACE_BLUEPRINTS:
        app.register_blueprint(blueprint)
