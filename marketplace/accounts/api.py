"""Accounts HTTP API (owned by the accounts work; stub until then)."""
from flask_smorest import Blueprint

blp = Blueprint("accounts", __name__, description="Registration, tokens and the current user")
