"""The marketplace web application."""
from marketplace.app import create_app

__all__ = ["create_app"]
