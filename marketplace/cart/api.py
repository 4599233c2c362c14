"""The cart API: a signed-in buyer's cart (bearer token), or a guest's (the X-Cart-Token header)."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request
from flask.views import MethodView
from marshmallow import RAISE

from marketplace.accounts.auth import BEARER_SCHEME, authenticate
from marketplace.cart import services
from marketplace.cart.schemas import (
    CART_TOKEN_HEADER, CartLineChangeSchema, CartLineInputSchema, CartQuerySchema, CartSchema,
)
from marketplace.core.request_parsing import Blueprint

blp = Blueprint("cart", __name__, description="The buyer's cart, one across every seller; guests have one too")

CART_TOKEN_PARAMETER = {
    "in": "header", "name": CART_TOKEN_HEADER, "required": False,
    "description": "A guest's cart: the `cart_token` the first add answered. Ignored when signed in. An unknown "
                   "or malformed token is a 404.",
    "schema": {"type": "string", "maxLength": 100},
}
CART_TOKEN_RESPONSE_HEADER = {
    CART_TOKEN_HEADER: {"description": "Sent only when this request made a guest cart: its token (also in the "
                                       "body's `cart_token`).", "schema": {"type": "string"}}}
LINE_PATH = "/cart/lines/<id:line_id>"
EXAMPLE_LINE = {"seller": "aurora-ceramics", "variant_id": 1, "quantity": 2}


def _cart_caller(view: Callable) -> Callable:
    """Settle whose cart the request is about before its body is read: a bad bearer token is 401 first.

    Documents who may call: a signed-in buyer, or anyone with (or without yet) a guest cart token.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.cart_owner = _owner()
        return view(*args, **kwargs)

    wrapper = blp.doc(security=[{BEARER_SCHEME: []}, {}])(wrapper)
    wrapper = blp.alt_response(401, response="UNAUTHORIZED",
                               description="An Authorization header was sent, but not a live bearer token.")(wrapper)
    return blp.alt_response(404, response="NOT_FOUND",
                            description="The cart token names no cart, or there is no such line in your cart "
                                        "(or, adding, no such seller or variant of that seller).")(wrapper)


def _owner() -> services.CartOwner:
    """The signed-in buyer if the request says who it is, else the guest of the cart token (if any)."""
    if request.authorization is not None:
        return services.CartOwner(buyer_user_id=authenticate().user_id)
    return services.CartOwner(guest_token=request.headers.get(CART_TOKEN_HEADER))


def _purchase_refusals(view: Callable) -> Callable:
    view = blp.alt_response(409, response="CONFLICT", description=(
        "`not_purchasable` (product not on sale or seller not active), `insufficient_stock` (`errors.quantity` "
        "says how many are available), `currency_mismatch` (the cart holds another currency), "
        "`cart_line_limit_reached` (100 lines)."))(view)
    return blp.alt_response(422, response="UNPROCESSABLE_ENTITY",
                            description="A field is invalid, or the line would hold more than 999.")(view)


# The header is a parameter of the path, so each operation keeps the parameters its arguments document.
@blp.route("/cart", parameters=[CART_TOKEN_PARAMETER])
class Cart(MethodView):
    @_cart_caller
    @blp.arguments(CartQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, CartSchema)
    def get(self, query):
        """The cart: lines per seller, flags, subtotals and shipping options

        Each line shows the seller's price and stock now, flagging a price
        changed since it was added, fewer available than it holds, or a line
        that cannot be bought any more. A guest without a cart token sees an
        empty cart.
        """
        return services.get_cart(g.cart_owner, query.get("country"))

    @_cart_caller
    @blp.response(204)
    def delete(self):
        """Empty the cart

        A guest's token stays valid, for an empty cart.
        """
        services.empty_cart(g.cart_owner)


@blp.route("/cart/lines", parameters=[CART_TOKEN_PARAMETER])
class CartLines(MethodView):
    @_cart_caller
    @_purchase_refusals
    @blp.arguments(CartLineInputSchema, example=EXAMPLE_LINE)
    @blp.response(201, CartSchema, headers=CART_TOKEN_RESPONSE_HEADER)
    def post(self, line):
        """Put a seller's variant in the cart

        Adds to the line of that variant if the cart has one. A guest sending
        no cart token gets a new guest cart: its token comes back in the
        `X-Cart-Token` header and the body's `cart_token`. Unknown seller or
        variant (or a variant of another seller): 404. Answers the cart.
        """
        owner = g.cart_owner
        new_guest_token = services.add_line(owner, line["seller"], line["variant_id"], line["quantity"])
        if new_guest_token is None:
            return services.get_cart(owner)
        cart = services.get_cart(services.CartOwner(guest_token=new_guest_token))
        return {**cart, "cart_token": new_guest_token}, 201, {CART_TOKEN_HEADER: new_guest_token}


@blp.route(LINE_PATH, parameters=[CART_TOKEN_PARAMETER])
class CartLine(MethodView):
    @_cart_caller
    @_purchase_refusals
    @blp.arguments(CartLineChangeSchema)
    @blp.response(200, CartSchema)
    def patch(self, change, line_id):
        """Change how many a line holds

        The variant must still be purchasable in that quantity. Answers the cart.
        """
        owner = g.cart_owner
        services.change_line(owner, line_id, change["quantity"])
        return services.get_cart(owner)

    @_cart_caller
    @blp.response(204)
    def delete(self, line_id):
        """Remove a line from the cart"""
        services.delete_line(g.cart_owner, line_id)
