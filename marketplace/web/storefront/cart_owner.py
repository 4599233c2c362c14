"""Whose cart a page shows: the logged-in buyer's, or a guest's kept by a cookie.

A guest's cart token lives in its own HttpOnly cookie, not in the page
session: logging in starts a new session (fixation), and the token must
survive it to be merged. The first storefront page a logged-in buyer opens
with the cookie merges the guest cart into theirs (the cart service's merge,
as the API's login does) and forgets the cookie.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import Response, after_this_request, current_app, flash, g, request

from marketplace.accounts.models import User
from marketplace.cart import services as cart
from marketplace.cart.services import CartNotFound, CartOwner
from tenants.locks import lock_row
from marketplace.web.auth import viewer
from tenants.uow import UnitOfWork

GUEST_CART_COOKIE = "guest_cart"
GUEST_CART_COOKIE_MAX_AGE = 30 * 24 * 3600

Result = TypeVar("Result")


def cart_owner() -> CartOwner:
    principal = viewer()
    if principal is not None:
        return CartOwner(buyer_user_id=principal.user_id)
    if g.get("guest_cart_forgotten"):
        return CartOwner()
    return CartOwner(guest_token=request.cookies.get(GUEST_CART_COOKIE))


def with_cart(action: Callable[[CartOwner], Result]) -> Result:
    """`action(owner)` on the viewer's cart. A guest cookie naming no cart any more (purged after
    GUEST_CART_RETENTION_DAYS, or tampered with) is forgotten, and the guest goes on without a cart."""
    try:
        return action(cart_owner())
    except CartNotFound:
        if viewer() is not None or not request.cookies.get(GUEST_CART_COOKIE):
            raise
        _forget_guest_cart()
        return action(cart_owner())


def remember_guest_cart(token: str) -> None:
    """Keep a new guest cart's token in the browser, with this response."""

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(GUEST_CART_COOKIE, token, max_age=GUEST_CART_COOKIE_MAX_AGE, httponly=True,
                            samesite="Lax", secure=current_app.config["WEB_COOKIE_SECURE"])
        return response


def merge_guest_cart_after_login() -> None:
    """Move a guest cart into the buyer's once they are logged in (before_request of the storefront)."""
    token = request.cookies.get(GUEST_CART_COOKIE)
    if not token:
        return
    principal = viewer()
    if principal is None:
        return
    reading = cart.read_guest_cart(token)
    merged = None
    if reading is not None:
        with UnitOfWork() as uow:
            lock_row(uow.session, User, principal.user_id)  # as at login: one merge at a time per buyer
            merged = cart.merge_guest_cart(uow.session, principal.user_id, reading)
            uow.commit()
    if merged and merged["adjusted_lines"]:
        flash("Some items of your guest cart could not all be moved into your cart: check the quantities.", "info")
    _forget_guest_cart()


def _forget_guest_cart() -> None:
    g.guest_cart_forgotten = True

    @after_this_request
    def forget_cookie(response: Response) -> Response:
        response.delete_cookie(GUEST_CART_COOKIE, httponly=True, samesite="Lax",
                               secure=current_app.config["WEB_COOKIE_SECURE"])
        return response
