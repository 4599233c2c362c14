"""Stock reservations in a seller's schema: reserve for a checkout, release, and sell once paid.

Each function is one tenant-bound transaction and a fixed number of SQL
statements whatever the number of lines (the checkout benchmark counts them):
the variants are read and locked in one statement (in id order, as
`tenants/locks.py` says), changed in one, and the reservation rows written in
one. A reservation row is unique per (order, variant), so a retried step finds
its own rows and reserves nothing twice; releasing and selling flip `held`
rows, so each happens once however often it runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import BigInteger, Integer, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from marketplace.catalog.models import Product, ProductStatus, StockMovement, StockReason, Variant
from marketplace.orders.models import ReservationStatus, StockReservation
from marketplace.shipping.models import parcel_weight
from marketplace.shipping.services import ShippingOption, options_in
from tenants.locks import lock_selected
from tenants.models import TenantRef
from tenants.uow import UnitOfWork


@dataclass(frozen=True)
class WantedLine:
    """A cart line as checkout asks for it."""

    cart_line_id: int
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class ReservedLine:
    """A line as the seller's schema priced it under lock: the snapshot the order freezes."""

    cart_line_id: int
    variant_id: int
    product_id: int
    category_id: int | None
    sku: str
    title: str
    options: dict[str, str]
    unit_price_amount: int
    quantity: int

    @property
    def line_total_amount(self) -> int:
        return self.unit_price_amount * self.quantity


@dataclass(frozen=True)
class LineFault:
    """Why a line cannot be bought now: `unavailable` (gone, unpublished, other currency) or `insufficient_stock`."""

    cart_line_id: int
    variant_id: int
    reason: str
    requested: int
    available: int


@dataclass(frozen=True)
class SellerReservation:
    tenant: TenantRef
    lines: list[ReservedLine]
    shipping: ShippingOption

    @property
    def subtotal_amount(self) -> int:
        return sum(line.line_total_amount for line in self.lines)


class LinesUnavailable(Exception):
    def __init__(self, tenant: TenantRef, faults: list[LineFault]):
        super().__init__(f"{len(faults)} line(s) of {tenant.slug} cannot be bought")
        self.tenant = tenant
        self.faults = faults


class NoShippingOption(Exception):
    def __init__(self, tenant: TenantRef, rate_id: int | None):
        super().__init__(f"{tenant.slug} offers no shipping option {rate_id or ''} to this address")
        self.tenant = tenant
        self.rate_id = rate_id


class ReservationDeadlinePassed(Exception):
    """The attempt's reserve deadline passed: recovery may be releasing it, so nothing more is reserved."""


def reserve(tenant: TenantRef, order_id: int, wanted: Sequence[WantedLine], *, currency: str,
            destination_country: str, shipping_rate_id: int | None, deadline: datetime) -> SellerReservation:
    """Reserve `wanted` for `order_id` in the seller's schema and price its shipping, or raise changing nothing.

    Raises LinesUnavailable (every line at fault), NoShippingOption or
    ReservationDeadlinePassed. Run again for the same order, it reserves
    nothing more and answers the same lines.
    """
    by_variant = {line.variant_id: line for line in wanted}
    with UnitOfWork(tenant) as uow:
        rows = _lock_variants(uow.session, sorted(by_variant), order_id)
        already_reserved = {row.id: row.reserved_for_order for row in rows.values() if row.reserved_for_order}
        lines, faults = _priced_lines(rows, by_variant, currency, already_reserved)
        if faults:
            raise LinesUnavailable(tenant, faults)
        shipping = _chosen_shipping(uow.session, tenant, lines, rows, destination_country, shipping_rate_id)
        if not already_reserved:
            _hold(uow.session, order_id, lines, deadline)
        uow.commit()
    return SellerReservation(tenant=tenant, lines=lines, shipping=shipping)


def release(tenant: TenantRef, order_id: int) -> int:
    """Give back every unit still held for `order_id`; the number of units released (0 the second time)."""
    with UnitOfWork(tenant) as uow:
        held = _take_held(uow.session, order_id, ReservationStatus.RELEASED)
        if held:
            _lock_variants(uow.session, sorted(held))
            _change_stock(uow.session, held, on_hand=False)
        uow.commit()
    return sum(held.values())


def sell_in(session: Session, order_id: int) -> dict[int, int]:
    """In the routing transaction: the held units of `order_id` leave stock on hand with sale movements.

    Returns {variant_id: quantity} sold now (empty if they were sold before).
    """
    held = _take_held(session, order_id, ReservationStatus.SOLD)
    if held:
        _lock_variants(session, sorted(held))
        _change_stock(session, held, on_hand=True)
        sold = _unnest(held)
        session.execute(insert(StockMovement).from_select(
            ["variant_id", "quantity_delta", "reason", "note"],
            select(sold.c.variant_id, -sold.c.quantity, literal(StockReason.SALE.value), literal(f"Order {order_id}"))))
    return held


def _lock_variants(session: Session, variant_ids: list[int], order_id: int | None = None) -> dict[int, Any]:
    """The variants with their product, locked (variants only) in id order; with `order_id`, also what that
    order already holds of each (`reserved_for_order`: a retried step finds its own reservation)."""
    columns = [Variant.id, Variant.sku, Variant.options, Variant.price_amount, Variant.currency,
               Variant.weight_grams, Variant.stock_on_hand, Variant.stock_reserved,
               Product.id.label("product_id"), Product.title, Product.status, Product.category_id]
    statement = select(*columns).join(Product, Product.id == Variant.product_id)
    if order_id is not None:
        statement = statement.add_columns(StockReservation.quantity.label("reserved_for_order")).outerjoin(
            StockReservation, (StockReservation.variant_id == Variant.id) & (StockReservation.order_id == order_id))
    statement = statement.where(Variant.id.in_(variant_ids)).order_by(Variant.id)
    return {row.id: row for row in lock_selected(session, statement, of=Variant)}


def _priced_lines(rows: dict[int, Any], wanted: dict[int, WantedLine], currency: str,
                  already_reserved: dict[int, int]) -> tuple[list[ReservedLine], list[LineFault]]:
    lines: list[ReservedLine] = []
    faults: list[LineFault] = []
    for variant_id, line in sorted(wanted.items()):
        row = rows.get(variant_id)
        if row is None or row.status != ProductStatus.PUBLISHED or row.currency != currency:
            faults.append(LineFault(line.cart_line_id, variant_id, "unavailable", line.quantity, 0))
            continue
        # A retry of this order counts its own reservation as available to it.
        available = row.stock_on_hand - row.stock_reserved + already_reserved.get(variant_id, 0)
        if available < line.quantity:
            faults.append(LineFault(line.cart_line_id, variant_id, "insufficient_stock", line.quantity,
                                    max(available, 0)))
            continue
        lines.append(ReservedLine(
            cart_line_id=line.cart_line_id, variant_id=variant_id, product_id=row.product_id,
            category_id=row.category_id, sku=row.sku, title=row.title, options=dict(row.options or {}),
            unit_price_amount=row.price_amount, quantity=line.quantity))
    return lines, faults


def _chosen_shipping(session: Session, tenant: TenantRef, lines: list[ReservedLine], rows: dict[int, Any],
                     destination_country: str, shipping_rate_id: int | None) -> ShippingOption:
    subtotal = sum(line.line_total_amount for line in lines)
    weight = parcel_weight([(rows[line.variant_id].weight_grams, line.quantity) for line in lines])
    options = options_in(session, tenant.currency, destination_country, subtotal, weight)
    chosen = [option for option in options if shipping_rate_id in (None, option.rate_id)]
    if not chosen:
        raise NoShippingOption(tenant, shipping_rate_id)
    return chosen[0]


def _hold(session: Session, order_id: int, lines: list[ReservedLine], deadline: datetime) -> None:
    """Raise reserved stock and write the reservation rows: two statements, whatever the number of lines.

    The rows are written only while the attempt's deadline has not passed
    (the database's clock, at the statement), else ReservationDeadlinePassed.
    """
    quantities = {line.variant_id: line.quantity for line in lines}
    _change_stock(session, quantities, on_hand=False, sign=1)
    held = _unnest(quantities)
    inserted = session.execute(
        insert(StockReservation).from_select(
            ["order_id", "variant_id", "quantity", "status"],
            select(literal(order_id), held.c.variant_id, held.c.quantity, literal(ReservationStatus.HELD.value))
            .where(func.clock_timestamp() < deadline))
        .returning(StockReservation.id)
    ).all()
    if len(inserted) != len(quantities):
        raise ReservationDeadlinePassed()


def _take_held(session: Session, order_id: int, new_status: ReservationStatus) -> dict[int, int]:
    """Flip the order's held reservations to `new_status`, locking them; {variant_id: quantity} flipped."""
    rows = session.execute(
        update(StockReservation)
        .where(StockReservation.order_id == order_id, StockReservation.status == ReservationStatus.HELD)
        .values(status=new_status, updated_at=func.now())
        .returning(StockReservation.variant_id, StockReservation.quantity)
    )
    return {row.variant_id: row.quantity for row in rows}


def _change_stock(session: Session, quantities: dict[int, int], *, on_hand: bool, sign: int = -1) -> None:
    """One UPDATE for every variant: reserved changes by sign×quantity, and on hand too when units leave."""
    deltas = _unnest({variant_id: sign * quantity for variant_id, quantity in quantities.items()})
    values: dict[str, Any] = {"stock_reserved": Variant.stock_reserved + deltas.c.quantity, "updated_at": func.now()}
    if on_hand:
        values["stock_on_hand"] = Variant.stock_on_hand + deltas.c.quantity
    session.execute(update(Variant).where(Variant.id == deltas.c.variant_id).values(values))


def _unnest(quantities: dict[int, int]) -> Any:
    """(variant_id, quantity) rows from two arrays: one statement carries every line."""
    ids = sorted(quantities)
    return select(func.unnest(literal(ids, ARRAY(BigInteger))).label("variant_id"),
                  func.unnest(literal([quantities[variant_id] for variant_id in ids], ARRAY(Integer))).label("quantity")
                  ).subquery()
