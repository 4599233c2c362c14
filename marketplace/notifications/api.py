"""Notifications HTTP API (stub until the notifications work lands)."""
from flask_smorest import Blueprint

blp = Blueprint("notifications", __name__, description="The current user's notifications")
