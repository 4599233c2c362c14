"""Shipping rates (tenant schema), and the rule that prices a parcel with one of them."""
from __future__ import annotations

import enum
from typing import Iterable
from sqlalchemy import BigInteger, CheckConstraint, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import TenantBase, Timestamps, checked_enum

# In a rate's countries: every destination that no rate of the seller names.
REST_OF_WORLD = "*"


class ShippingRateKind(str, enum.Enum):
    FLAT = "flat"
    WEIGHT_BANDS = "weight_bands"


class ShippingRate(Timestamps, TenantBase):
    """One way a seller ships to some countries, at a flat price or a price per weight band."""

    __tablename__ = "shipping_rates"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # ISO 3166-1 alpha-2 codes, or REST_OF_WORLD.
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)))
    kind: Mapped[ShippingRateKind] = mapped_column(checked_enum(ShippingRateKind, "shipping_rate_kind"))
    # Minor units of the seller's currency: the price of a flat rate; None for weight bands.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    # [{"up_to_grams": 500, "amount": 450}, ...], by increasing weight; empty for a flat rate.
    weight_bands: Mapped[list[dict[str, int]]] = mapped_column(JSONB, default=list,
                                                               server_default=text("'[]'::jsonb"))
    # A subtotal at or over this ships free; None: never free.
    free_over_amount: Mapped[int | None] = mapped_column(BigInteger)
    # Options are offered in this order (then by id).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        CheckConstraint("(kind = 'flat') = (amount IS NOT NULL)", name="amount_of_flat_rates"),
    )


def parcel_price(rate: ShippingRate, subtotal_amount: int,
                 total_weight_grams: int | None) -> int | None:
    """What `rate` charges for a parcel, in minor units; None if the rate cannot ship it.

    A weight band covers weights up to and including its `up_to_grams`; the
    first band that covers the parcel prices it. A parcel heavier than the
    last band, or of unknown weight, is not shipped by a weight-band rate.
    A rate that can ship the parcel ships it free when the subtotal is at or
    over its `free_over_amount`.
    """
    if rate.kind == ShippingRateKind.FLAT:
        price = rate.amount
    else:
        price = _band_price(rate.weight_bands, total_weight_grams)
        if price is None:
            return None
    if rate.free_over_amount is not None and subtotal_amount >= rate.free_over_amount:
        return 0
    return price


def _band_price(weight_bands: list[dict[str, int]], total_weight_grams: int | None) -> int | None:
    if total_weight_grams is None:
        return None
    for band in weight_bands:
        if total_weight_grams <= band["up_to_grams"]:
            return band["amount"]
    return None


def parcel_weight(weights_and_quantities: Iterable[tuple[int | None, int]]) -> int | None:
    """The weight of a parcel of lines (unit weight in grams, quantity); None if any line's weight is unknown."""
    total = 0
    for unit_weight_grams, quantity in weights_and_quantities:
        if unit_weight_grams is None:
            return None
        total += unit_weight_grams * quantity
    return total
