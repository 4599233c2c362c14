"""Bearer-token authentication of requests (stub until the accounts work lands)."""
from flask import Flask


def init_auth(app: Flask) -> None:
    pass
