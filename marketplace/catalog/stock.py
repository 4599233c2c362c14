"""Stock on hand, changed only through stock movements.

Each change locks its variants (`SELECT … FOR UPDATE`, in id order so that two
transactions never wait on each other in a circle), checks that no stock goes
below zero, writes the movements and the new stock on hand in the caller's
transaction. Stock on hand is therefore always the sum of the variant's
movements; the check constraint on `variants` is the backstop.

Callers lock the product first (see `services`): product, then variants, as
the lock order of `tenants/locks.py` says.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy.orm import Session

from marketplace.catalog.models import StockMovement, StockReason, Variant
from marketplace.core.errors import Conflict, ValidationFailed
from tenants.locks import lock_rows_in_id_order

# stock_on_hand is a PostgreSQL integer.
MAX_STOCK_ON_HAND = 2**31 - 1


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, sku: str, stock_on_hand: int, quantity_delta: int, stock_reserved: int = 0):
        if stock_reserved:
            message = (f"Stock of {sku} cannot go below the {stock_reserved} units reserved by unpaid checkouts: "
                       f"{stock_on_hand} on hand, change of {quantity_delta}.")
        else:
            message = f"Stock of {sku} cannot go below zero: {stock_on_hand} on hand, change of {quantity_delta}."
        super().__init__(message, errors={"quantity_delta": [
            f"At least {stock_reserved - stock_on_hand} (the stock on hand is {stock_on_hand}, "
            f"{stock_reserved} reserved)."]})
        self.sku = sku
        self.stock_on_hand = stock_on_hand
        self.quantity_delta = quantity_delta


class StockOverflow(ValidationFailed):
    def __init__(self, sku: str, stock_on_hand: int):
        super().__init__(
            f"Stock of {sku} cannot go above {MAX_STOCK_ON_HAND}: {stock_on_hand} on hand.",
            errors={"quantity_delta": [f"At most {MAX_STOCK_ON_HAND - stock_on_hand} "
                                       f"(the stock on hand is {stock_on_hand})."]},
        )


@dataclass(frozen=True)
class StockChange:
    variant_id: int
    quantity_delta: int
    reason: StockReason
    note: str = ""


def record_movements(session: Session, changes: list[StockChange], actor_user_id: int | None) -> list[StockMovement]:
    """Apply `changes` in order; raise (changing nothing) if any would go below zero or past what fits the column."""
    variants = lock_variants(session, {change.variant_id for change in changes})
    for change in changes:
        variant = variants[change.variant_id]
        new_stock = variant.stock_on_hand + change.quantity_delta
        if new_stock < variant.stock_reserved:
            raise InsufficientStock(variant.sku, variant.stock_on_hand, change.quantity_delta,
                                    stock_reserved=variant.stock_reserved)
        if new_stock > MAX_STOCK_ON_HAND:
            raise StockOverflow(variant.sku, variant.stock_on_hand)
        variant.stock_on_hand = new_stock
    movements = [
        StockMovement(variant_id=change.variant_id, quantity_delta=change.quantity_delta, reason=change.reason,
                      note=change.note, created_by_user_id=actor_user_id)
        for change in changes
    ]
    session.add_all(movements)
    session.flush()
    return movements


def set_stock_levels(session: Session, levels: dict[int, int], reason: StockReason, note: str,
                     actor_user_id: int | None) -> list[StockMovement]:
    """Bring each variant to the given stock level with one movement for the difference (none if equal)."""
    variants = lock_variants(session, levels)
    changes = [
        StockChange(variant_id, level - variants[variant_id].stock_on_hand, reason, note)
        for variant_id, level in sorted(levels.items())
        if level != variants[variant_id].stock_on_hand
    ]
    return record_movements(session, changes, actor_user_id) if changes else []


def lock_variants(session: Session, variant_ids: Iterable[int]) -> dict[int, Variant]:
    """The variants, locked until the transaction ends, with their stock as committed now."""
    variants = lock_rows_in_id_order(session, Variant, Variant.id.in_(list(variant_ids)))
    return {variant.id: variant for variant in variants}
