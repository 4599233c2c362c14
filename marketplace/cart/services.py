"""The cart: a buyer's (one per account, made at the first add) or a guest's (found by an opaque token).

Rules:
- A line is (seller, variant, quantity), quantity 1..MAX_LINE_QUANTITY; a cart
  holds MAX_CART_LINES lines at most and one currency, set by its first line
  and cleared when it empties.
- Adding or changing a line needs the variant purchasable now: its product
  published, its seller active, enough stock available (on hand minus what
  unpaid checkouts reserve). Adding a variant the cart holds adds to its line.
- A line keeps the price and stock the buyer saw when adding or changing it,
  so the view can flag what changed since; every write takes what is true now.
- A guest's token is shown once and stored as its SHA-256 only. An unknown or
  malformed token, like another person's line, is a 404: a cart never reveals
  that another one exists.
- On login the guest cart merges into the buyer's (`merge_guest_cart`), in the
  login's own transaction, and is deleted, so a retried login merges nothing twice.

Each write locks the cart row first (after the user, at login: tenants/locks.py),
so two requests on one cart cannot both pass the line limit or both add a line
for one variant. Seller data is read before the control database's transaction
(one database per transaction); checkout re-checks prices and stock anyway.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from billing.money import Money
from marketplace.accounts.tokens import new_token, token_digest
from marketplace.addresses.models import Address
from marketplace.cart.models import MAX_CART_LINES, MAX_LINE_QUANTITY, Cart, CartLine
from marketplace.cart.offers import Offer, read_offers
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.shipping.services import shipping_options
from tenants.locks import lock_first
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.registry import get_tenant_by_id, get_tenant_by_slug
from tenants.uow import UnitOfWork, delete_in_batches

log = logging.getLogger(__name__)

# What accounts.tokens.new_token makes: 32 random bytes, URL-safe base64 without padding.
CART_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# Carts deleted per transaction by the purge: a large backlog never holds one long transaction.
GUEST_CART_PURGE_BATCH_SIZE = 1000
NO_SHIPPING_COUNTRY_NOTE = ("Shipping options need a destination: pass ?country=XX, or sign in with a default "
                            "shipping address.")


class CartNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("There is no cart with this token.")


class CartLineNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Your cart has no line with this id.")


class VariantNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no variant with this id.")


class NotPurchasable(Conflict):
    code = "not_purchasable"

    def __init__(self, reason: str):
        super().__init__(reason, errors={"variant_id": [reason]})


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, available_quantity: int, wanted_quantity: int):
        super().__init__(f"Only {available_quantity} available; the line would hold {wanted_quantity}.",
                         errors={"quantity": [f"At most {available_quantity} available."]})
        self.available_quantity = available_quantity


class LineQuantityTooLarge(ValidationFailed):
    def __init__(self, current_quantity: int):
        super().__init__(f"A cart line holds at most {MAX_LINE_QUANTITY}.", errors={"quantity": [
            f"The line holds {current_quantity} already; at most {MAX_LINE_QUANTITY - current_quantity} more."]})


class CurrencyMismatch(Conflict):
    code = "currency_mismatch"

    def __init__(self, cart_currency: str, line_currency: str):
        super().__init__(f"This cart is in {cart_currency}; a line in {line_currency} cannot join it. "
                         "Check out or empty the cart first.",
                         errors={"variant_id": [f"Priced in {line_currency}, not {cart_currency}."]})


class CartLineLimitReached(Conflict):
    code = "cart_line_limit_reached"

    def __init__(self) -> None:
        super().__init__(f"A cart holds {MAX_CART_LINES} lines at most; remove one first.")


@dataclass(frozen=True)
class CartOwner:
    """Whose cart a request is about: a signed-in buyer's, or the guest cart of a token (None: none yet)."""

    buyer_user_id: int | None = None
    guest_token: str | None = None


@dataclass(frozen=True)
class _SavedLine:
    """A cart line as stored, read out of its session."""

    id: int
    tenant_id: int
    product_id: int
    variant_id: int
    quantity: int
    unit_price_amount: int
    added_at: datetime


@dataclass(frozen=True)
class _Seller:
    """A seller of a cart's lines, read from the registry."""

    tenant: TenantRef
    name: str

    @property
    def active(self) -> bool:
        return self.tenant.status == TenantStatus.ACTIVE


# Reading the cart

def get_cart(owner: CartOwner, country: str | None = None) -> dict[str, Any]:
    """The cart as the buyer sees it now: lines grouped per seller, flags, subtotals and shipping options.

    Shipping goes to `country`, else to the signed-in buyer's default address; without either, no options.
    """
    with UnitOfWork() as uow:
        cart = _find_cart(uow.session, owner)
        lines = _lines(uow.session, cart.id) if cart else []
        sellers = _sellers(uow.session, {line.tenant_id for line in lines})
        if country is None and owner.buyer_user_id is not None:
            country = _default_address_country(uow.session, owner.buyer_user_id)
        currency = cart.currency if cart else None
    offers = _offers_by_seller(sellers, lines)
    groups = [_seller_group(sellers[tenant_id], [line for line in lines if line.tenant_id == tenant_id],
                            offers[tenant_id], currency, country)
              for tenant_id in sorted(sellers)]
    view: dict[str, Any] = {
        "currency": currency,
        "line_count": len(lines),
        "subtotal_amount": sum((group["subtotal_amount"] for group in groups), 0),
        "sellers": groups,
        "shipping_country": country,
    }
    if country is None:
        view["shipping_note"] = NO_SHIPPING_COUNTRY_NOTE
    return view


def _seller_group(seller: _Seller, lines: list[_SavedLine], offers: dict[int, Offer], currency: str,
                  country: str | None) -> dict[str, Any]:
    """One seller's lines; its subtotal and shipping count only the lines that can be bought."""
    views = [_line_view(line, offers.get(line.variant_id), seller.active, currency) for line in lines]
    payable = [(view, offers[view["variant_id"]]) for view in views if not view["unavailable"]]
    subtotal = sum((Money(view["line_total_amount"], currency) for view, _ in payable), Money.zero(currency))
    group = {
        "seller": {"slug": seller.tenant.slug, "name": seller.name},
        "lines": views,
        "subtotal_amount": subtotal.amount,
        "shipping_options": [],
    }
    if country is not None and payable:
        weights = [offer.weight_grams * view["quantity"] if offer.weight_grams is not None else None
                   for view, offer in payable]
        total_weight_grams = None if None in weights else sum(weights)
        group["shipping_options"] = [
            {"rate_id": option.rate_id, "name": option.name, "amount": option.amount, "currency": option.currency}
            for option in shipping_options(seller.tenant, country, subtotal.amount, total_weight_grams)]
    return group


def _line_view(line: _SavedLine, offer: Offer | None, seller_active: bool, currency: str) -> dict[str, Any]:
    unavailable = offer is None or not offer.on_sale or not seller_active or offer.currency != currency
    unit_price_amount = offer.unit_price_amount if offer else line.unit_price_amount
    line_total = Money(unit_price_amount, currency) * line.quantity
    insufficient_stock = offer is not None and offer.available_quantity < line.quantity
    return {
        "id": line.id,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "product_slug": offer.product_slug if offer else None,
        "title": offer.title if offer else None,
        "sku": offer.sku if offer else None,
        "options": offer.options if offer else {},
        "image_url": offer.image_url if offer else None,
        "quantity": line.quantity,
        "unit_price_amount": unit_price_amount,
        "line_total_amount": line_total.amount,
        "added_unit_price_amount": line.unit_price_amount,
        "price_changed": unit_price_amount != line.unit_price_amount,
        "insufficient_stock": insufficient_stock,
        # Buyers learn how many are left only when it is fewer than their line holds.
        "available_quantity": offer.available_quantity if insufficient_stock else None,
        "unavailable": unavailable,
        "added_at": line.added_at,
    }


def _offers_by_seller(sellers: dict[int, _Seller], lines: list[_SavedLine]) -> dict[int, dict[int, Offer]]:
    """Each seller's offers for its lines: one tenant-bound query per seller, sellers in id order."""
    return {tenant_id: read_offers(sellers[tenant_id].tenant,
                                   [line.variant_id for line in lines if line.tenant_id == tenant_id])
            for tenant_id in sorted(sellers)}


# Changing the cart

def add_line(owner: CartOwner, seller_slug: str, variant_id: int, quantity: int) -> str | None:
    """Put `quantity` of a seller's variant in the cart (added to its line if there is one).

    Returns the new guest token when this made a guest cart, else None.
    """
    tenant = get_tenant_by_slug(seller_slug)
    offer = _purchasable_offer(tenant, variant_id)
    with UnitOfWork() as uow:
        cart, new_guest_token = _cart_to_fill(uow.session, owner)
        if cart.currency is not None and cart.currency != offer.currency:
            raise CurrencyMismatch(cart.currency, offer.currency)
        line = uow.session.scalar(select(CartLine).where(
            CartLine.cart_id == cart.id, CartLine.tenant_id == tenant.id, CartLine.variant_id == variant_id))
        if line is None:
            if _line_count(uow.session, cart.id) >= MAX_CART_LINES:
                raise CartLineLimitReached()
            line = CartLine(cart_id=cart.id, tenant_id=tenant.id, product_id=offer.product_id,
                            variant_id=variant_id, quantity=0)
            uow.session.add(line)
        if line.quantity + quantity > MAX_LINE_QUANTITY:
            raise LineQuantityTooLarge(line.quantity)
        _set_quantity(line, line.quantity + quantity, offer)
        cart.currency = offer.currency
        _touch(cart)
        uow.commit()
    return new_guest_token


def change_line(owner: CartOwner, line_id: int, quantity: int) -> None:
    """Set a line's quantity; the variant must still be purchasable in that quantity."""
    with UnitOfWork() as uow:
        tenant_id, variant_id = _own_line(uow.session, _existing_cart(uow.session, owner), line_id)
    offer = _purchasable_offer(get_tenant_by_id(tenant_id), variant_id)
    with UnitOfWork() as uow:
        cart = _existing_cart(uow.session, owner, lock=True)
        line = uow.session.get(CartLine, line_id, populate_existing=True)
        if line is None or line.cart_id != cart.id:
            raise CartLineNotFound()  # removed meanwhile
        _set_quantity(line, quantity, offer)
        _touch(cart)
        uow.commit()


def delete_line(owner: CartOwner, line_id: int) -> None:
    with UnitOfWork() as uow:
        cart = _existing_cart(uow.session, owner, lock=True)
        _own_line(uow.session, cart, line_id)
        remove_lines(uow.session, cart.id, [line_id])
        _touch(cart)
        uow.commit()


def empty_cart(owner: CartOwner) -> None:
    """Remove every line; the cart (and a guest's token) stays, empty, with no currency."""
    with UnitOfWork() as uow:
        cart = _find_cart(uow.session, owner, lock=True)
        if cart is not None:
            uow.session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))
            cart.currency = None
            _touch(cart)
            uow.commit()


# For checkout (in the caller's control-database transaction)

def buyer_cart_lines(session: Session, buyer_user_id: int) -> list[CartLine]:
    """The lines of the buyer's cart, by seller then variant (the order checkout reserves in)."""
    return list(session.scalars(
        select(CartLine).join(Cart, Cart.id == CartLine.cart_id).where(Cart.buyer_user_id == buyer_user_id)
        .order_by(CartLine.tenant_id, CartLine.variant_id)))


def remove_lines(session: Session, cart_id: int, line_ids: list[int]) -> None:
    """Remove these lines of the cart; the cart's currency is cleared if it empties."""
    session.execute(delete(CartLine).where(CartLine.cart_id == cart_id, CartLine.id.in_(line_ids)))
    if _line_count(session, cart_id) == 0:
        session.get(Cart, cart_id).currency = None


# Guest carts nobody comes back to

def purge_stale_guest_carts(retention_days: int, batch_size: int = GUEST_CART_PURGE_BATCH_SIZE) -> int:
    """Delete the guest carts unchanged for more than `retention_days`, with their lines; return how many.

    Anyone can make a guest cart, and most are never seen again. Deletes in
    batches, one transaction each; a cart being changed right now is skipped.
    """
    unchanged_since = func.now() - timedelta(days=retention_days)
    return delete_in_batches(Cart, and_(Cart.buyer_user_id.is_(None), Cart.updated_at < unchanged_since), batch_size)


# Merging a guest cart into the buyer's at login

@dataclass(frozen=True)
class GuestCartReading:
    """A guest cart's offers read before the login's transaction (seller data lives in other databases)."""

    token_hash: str
    # (tenant id, variant id) -> the offer now; None: not purchasable now (unpublished, deleted, seller inactive).
    offers: dict[tuple[int, int], Offer | None]


def read_guest_cart(guest_token: str) -> GuestCartReading | None:
    """What the lines of the guest cart of this token can be bought in now; None if there is no such cart.

    A seller's database that cannot be read leaves the merge for a later
    login (logged): a login never fails because of a cart.
    """
    if not CART_TOKEN_PATTERN.fullmatch(guest_token):
        return None
    token_hash = token_digest(guest_token)
    with UnitOfWork() as uow:
        cart = uow.session.scalar(select(Cart).where(Cart.token_hash == token_hash))
        if cart is None:
            return None
        lines = _lines(uow.session, cart.id)
        sellers = _sellers(uow.session, {line.tenant_id for line in lines})
    try:
        offers = _offers_by_seller(sellers, lines)
    except OperationalError:
        log.warning("a seller's database is unavailable; the guest cart is merged at a later login", exc_info=True)
        return None
    purchasable = {}
    for line in lines:
        offer = offers[line.tenant_id].get(line.variant_id)
        on_sale = offer is not None and offer.on_sale and sellers[line.tenant_id].active
        purchasable[(line.tenant_id, line.variant_id)] = offer if on_sale else None
    return GuestCartReading(token_hash=token_hash, offers=purchasable)


def merge_guest_cart(session: Session, buyer_user_id: int, reading: GuestCartReading) -> dict[str, Any] | None:
    """Move the guest cart's lines into the buyer's cart and delete the guest cart; what was adjusted.

    Runs in the login's transaction, the user row locked. Quantities add up,
    capped by the stock available and the line limit; lines in another
    currency than the buyer's non-empty cart, or no longer purchasable, stay
    out. Each line kept out or cut is reported. None if the guest cart is
    gone (a retried login: it was merged already).
    """
    guest = lock_first(session, select(Cart).where(Cart.token_hash == reading.token_hash))
    if guest is None:
        return None
    guest_lines = list(session.scalars(select(CartLine).where(CartLine.cart_id == guest.id)
                                       .order_by(CartLine.tenant_id, CartLine.variant_id)))
    buyer_cart = _buyer_cart(session, buyer_user_id, create=bool(guest_lines))
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)
                                 .where(Tenant.id.in_({line.tenant_id for line in guest_lines}))).all())
    merged_line_count, adjusted = 0, []
    for guest_line in guest_lines:
        merged_quantity, reason = _merge_line(session, buyer_cart, guest, guest_line, reading)
        merged_line_count += merged_quantity > 0
        if reason is not None:
            adjusted.append({"seller": slugs[guest_line.tenant_id], "variant_id": guest_line.variant_id,
                             "requested_quantity": guest_line.quantity, "merged_quantity": merged_quantity,
                             "reason": reason})
    session.execute(delete(Cart).where(Cart.id == guest.id))
    return {"merged_line_count": merged_line_count, "adjusted_lines": adjusted}


def _merge_line(session: Session, buyer_cart: Cart, guest: Cart, guest_line: CartLine,
                reading: GuestCartReading) -> tuple[int, str | None]:
    """Add one guest line to the buyer's cart: (quantity added, why not all of it or None)."""
    if buyer_cart.currency is not None and buyer_cart.currency != guest.currency:
        return 0, "currency_mismatch"
    key = (guest_line.tenant_id, guest_line.variant_id)
    if key in reading.offers and reading.offers[key] is None:
        return 0, "unavailable"
    # A line added after the reading is taken with the stock its guest saw a moment ago.
    offer = reading.offers.get(key)
    available_quantity = offer.available_quantity if offer else guest_line.stock_available
    line = session.scalar(select(CartLine).where(
        CartLine.cart_id == buyer_cart.id, CartLine.tenant_id == guest_line.tenant_id,
        CartLine.variant_id == guest_line.variant_id))
    current_quantity = line.quantity if line else 0
    wanted_quantity = current_quantity + guest_line.quantity
    # Never less than the buyer's line holds already: the merge adds, the cart view flags a shortage.
    merged_total = max(current_quantity, min(wanted_quantity, available_quantity, MAX_LINE_QUANTITY))
    if merged_total == current_quantity:
        return 0, "insufficient_stock" if available_quantity < wanted_quantity else "quantity_limit"
    if line is None:
        if _line_count(session, buyer_cart.id) >= MAX_CART_LINES:
            return 0, "cart_line_limit_reached"
        # The guest saw this price and stock when adding: the buyer's view flags what changed since.
        line = CartLine(cart_id=buyer_cart.id, tenant_id=guest_line.tenant_id, product_id=guest_line.product_id,
                        variant_id=guest_line.variant_id, unit_price_amount=guest_line.unit_price_amount,
                        stock_available=guest_line.stock_available)
        session.add(line)
    line.quantity = merged_total
    buyer_cart.currency = guest.currency
    session.flush()
    if merged_total == wanted_quantity:
        return guest_line.quantity, None
    cut_by = "insufficient_stock" if available_quantity < wanted_quantity else "quantity_limit"
    return merged_total - current_quantity, cut_by


# Helpers

def _purchasable_offer(tenant: TenantRef, variant_id: int) -> Offer:
    """The variant's offer now, if a buyer may put it in a cart; else why not."""
    offer = read_offers(tenant, [variant_id]).get(variant_id)
    if offer is None:
        raise VariantNotFound()
    if tenant.status != TenantStatus.ACTIVE:
        raise NotPurchasable("This seller is not selling at the moment.")
    if not offer.on_sale:
        raise NotPurchasable("This product is not on sale.")
    return offer


def _set_quantity(line: CartLine, quantity: int, offer: Offer) -> None:
    """Set the line's quantity if the stock available covers it; the line then holds what is true now."""
    if quantity > offer.available_quantity:
        raise InsufficientStock(offer.available_quantity, quantity)
    line.quantity = quantity
    line.unit_price_amount = offer.unit_price_amount
    line.stock_available = offer.available_quantity


def _find_cart(session: Session, owner: CartOwner, lock: bool = False) -> Cart | None:
    """The owner's cart; None if there is none yet; CartNotFound for a token that names no cart."""
    if owner.buyer_user_id is not None:
        statement = select(Cart).where(Cart.buyer_user_id == owner.buyer_user_id)
    elif owner.guest_token is None:
        return None
    elif not CART_TOKEN_PATTERN.fullmatch(owner.guest_token):
        raise CartNotFound()
    else:
        statement = select(Cart).where(Cart.token_hash == token_digest(owner.guest_token))
    cart = lock_first(session, statement) if lock else session.scalar(statement)
    if cart is None and owner.buyer_user_id is None:
        raise CartNotFound()
    return cart


def _existing_cart(session: Session, owner: CartOwner, lock: bool = False) -> Cart:
    """The owner's cart, to change a line of it: without a cart there is no such line."""
    cart = _find_cart(session, owner, lock=lock)
    if cart is None:
        raise CartLineNotFound()
    return cart


def _cart_to_fill(session: Session, owner: CartOwner) -> tuple[Cart, str | None]:
    """The owner's cart, locked, made if need be; and the new guest token if a guest cart was made."""
    if owner.buyer_user_id is not None:
        return _buyer_cart(session, owner.buyer_user_id, create=True), None
    if owner.guest_token is not None:
        return _find_cart(session, owner, lock=True), None
    guest_token = new_token()
    cart = Cart(token_hash=token_digest(guest_token))
    session.add(cart)
    session.flush()
    return cart, guest_token


def _buyer_cart(session: Session, buyer_user_id: int, create: bool) -> Cart | None:
    """The buyer's cart, locked; made first if `create` (two first adds at once make one cart)."""
    if create:
        session.execute(insert(Cart).values(buyer_user_id=buyer_user_id)
                        .on_conflict_do_nothing(index_elements=[Cart.buyer_user_id]))
    return lock_first(session, select(Cart).where(Cart.buyer_user_id == buyer_user_id))


def _own_line(session: Session, cart: Cart, line_id: int) -> tuple[int, int]:
    """(tenant id, variant id) of this line of the cart; another cart's line is as absent as none."""
    row = session.execute(select(CartLine.tenant_id, CartLine.variant_id)
                          .where(CartLine.id == line_id, CartLine.cart_id == cart.id)).one_or_none()
    if row is None:
        raise CartLineNotFound()
    return row.tenant_id, row.variant_id


def _lines(session: Session, cart_id: int) -> list[_SavedLine]:
    rows = session.execute(select(*(getattr(CartLine, name) for name in _SavedLine.__dataclass_fields__))
                           .where(CartLine.cart_id == cart_id).order_by(CartLine.tenant_id, CartLine.id))
    return [_SavedLine(*row) for row in rows]


def _touch(cart: Cart) -> None:
    # Lines change without the cart's own columns changing; the guest cart purge goes by this time.
    cart.updated_at = func.now()


def _line_count(session: Session, cart_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CartLine).where(CartLine.cart_id == cart_id))


def _sellers(session: Session, tenant_ids: set[int]) -> dict[int, _Seller]:
    tenants = session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids))) if tenant_ids else []
    return {tenant.id: _Seller(tenant=tenant.ref(), name=tenant.display_name) for tenant in tenants}


def _default_address_country(session: Session, user_id: int) -> str | None:
    return session.scalar(select(Address.country).where(Address.user_id == user_id, Address.is_default))
