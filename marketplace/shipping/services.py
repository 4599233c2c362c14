"""A seller's shipping rates, and the shipping options they offer a parcel to one country.

Rates decide what buyers pay, so every change of one is in the audit log
(through the outbox, as any tenant-bound change's entry).

Which rates apply to a destination: the rates naming its country; if none
names it, the rest-of-world rates (`*`). A seller who names a country has
decided how to ship there, so its rest-of-world rates never mix in, even
when the named rates cannot ship a parcel (too heavy for their bands).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.addresses.rules import country_rules
from marketplace.audit.services import record
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.field_updates import writable_changes
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.shipping.models import REST_OF_WORLD, ShippingRate, ShippingRateKind, parcel_price
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

RATE_FIELDS = ("name", "countries", "kind", "amount", "weight_bands", "free_over_amount", "position")
NEW_RATE_DEFAULTS: dict[str, Any] = {"amount": None, "weight_bands": [], "free_over_amount": None, "position": 0}


class ShippingRateNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no shipping rate with this id.")


class InvalidShippingRate(ValidationFailed):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The shipping rate is not whole.", errors=errors)


@dataclass(frozen=True)
class ShippingOption:
    """A way to ship a parcel, priced: what a cart offers the buyer for one seller's lines."""

    rate_id: int
    name: str
    amount: int
    currency: str


def list_rates(tenant: TenantRef, page_request: PageRequest) -> Page[dict[str, Any]]:
    """The seller's rates in the order options are offered: by position, then id."""
    query = select(ShippingRate).order_by(ShippingRate.position, ShippingRate.id)
    with UnitOfWork(tenant) as uow:
        return fetch_page(uow.session, query, page_request).map(lambda rate: _values(tenant, rate))


def get_rate(tenant: TenantRef, rate_id: int) -> dict[str, Any]:
    with UnitOfWork(tenant) as uow:
        return _values(tenant, _get_rate(uow.session, rate_id))


def create_rate(tenant: TenantRef, actor_user_id: int | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Add a rate; InvalidShippingRate if it is neither a whole flat rate nor whole weight bands."""
    rate_fields = _checked_rate({**NEW_RATE_DEFAULTS, **writable_changes(fields, RATE_FIELDS)})
    with UnitOfWork(tenant) as uow:
        rate = ShippingRate(**rate_fields)
        uow.session.add(rate)
        uow.session.flush()
        _audit(uow, tenant, actor_user_id, "shipping_rate.create", rate.id, before=None, after=_audited(rate))
        return _committed(uow, tenant, rate)


def change_rate(tenant: TenantRef, actor_user_id: int | None, rate_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some fields of a rate; the rate as changed must be whole (InvalidShippingRate)."""
    changes = writable_changes(changes, RATE_FIELDS)
    with UnitOfWork(tenant) as uow:
        rate = _get_rate(uow.session, rate_id)
        before = _audited(rate)
        current = {name: getattr(rate, name) for name in RATE_FIELDS}
        for name, value in _checked_rate({**current, **changes}).items():
            setattr(rate, name, value)
        _audit(uow, tenant, actor_user_id, "shipping_rate.update", rate_id, before=before, after=_audited(rate))
        return _committed(uow, tenant, rate)


def delete_rate(tenant: TenantRef, actor_user_id: int | None, rate_id: int) -> None:
    # Orders keep the shipping they were priced with, so the rate's row can go; the audit log keeps what it was.
    with UnitOfWork(tenant) as uow:
        rate = _get_rate(uow.session, rate_id)
        _audit(uow, tenant, actor_user_id, "shipping_rate.delete", rate_id, before=_audited(rate), after=None)
        uow.session.delete(rate)
        uow.commit()


def shipping_options(tenant: TenantRef, destination_country: str, subtotal_amount: int,
                     total_weight_grams: int | None) -> list[ShippingOption]:
    """The seller's ways to ship a parcel to `destination_country`, priced, in the seller's order.

    `subtotal_amount` is in minor units of the seller's currency (for
    free-over amounts); `total_weight_grams` is None when a line's weight is
    unknown, and then only flat rates can ship the parcel.
    """
    with UnitOfWork(tenant) as uow:
        return options_in(uow.session, tenant.currency, destination_country, subtotal_amount, total_weight_grams)


def options_in(session: Session, currency: str, destination_country: str, subtotal_amount: int,
               total_weight_grams: int | None) -> list[ShippingOption]:
    """`shipping_options` read in the caller's tenant-bound transaction (checkout prices shipping as it reserves)."""
    rates = session.scalars(select(ShippingRate).order_by(ShippingRate.position, ShippingRate.id)).all()
    naming_the_country = [rate for rate in rates if destination_country in rate.countries]
    applicable = naming_the_country or [rate for rate in rates if REST_OF_WORLD in rate.countries]
    priced = [(rate, parcel_price(rate, subtotal_amount, total_weight_grams)) for rate in applicable]
    return [ShippingOption(rate_id=rate.id, name=rate.name, amount=price, currency=currency)
            for rate, price in priced if price is not None]


def _checked_rate(fields: dict[str, Any]) -> dict[str, Any]:
    """The rate with its countries in order and without repeats; InvalidShippingRate naming each fault."""
    errors: dict[str, list[str]] = {}
    countries = sorted(set(fields["countries"]))
    unknown = [code for code in countries if code != REST_OF_WORLD and country_rules(code) is None]
    if unknown:
        errors["countries"] = [f"Not known ISO 3166-1 alpha-2 codes: {', '.join(unknown)}."]
    bands = fields["weight_bands"]
    if fields["kind"] == ShippingRateKind.FLAT:
        if fields["amount"] is None:
            errors["amount"] = ["A flat rate needs its amount."]
        if bands:
            errors["weight_bands"] = ["A flat rate has no weight bands."]
    else:
        if fields["amount"] is not None:
            errors["amount"] = ["A weight-band rate is priced by its bands; leave the amount out."]
        if not bands:
            errors["weight_bands"] = ["A weight-band rate needs at least one band."]
        elif any(lighter["up_to_grams"] >= heavier["up_to_grams"] for lighter, heavier in zip(bands, bands[1:])):
            errors["weight_bands"] = ["Bands go by strictly increasing up_to_grams."]
    if errors:
        raise InvalidShippingRate(errors)
    return {**fields, "countries": countries, "weight_bands": [dict(band) for band in bands]}


def _audit(uow: UnitOfWork, tenant: TenantRef, actor_user_id: int | None, action: str, rate_id: int,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    record(uow, actor_user_id=actor_user_id, action=action, target_type="shipping_rate", target_id=rate_id,
           tenant_id=tenant.id, before=before, after=after)


def _audited(rate: ShippingRate) -> dict[str, Any]:
    """The rate's fields as JSON values, for the audit log."""
    return {**{name: getattr(rate, name) for name in RATE_FIELDS}, "kind": ShippingRateKind(rate.kind).value}


def _committed(uow: UnitOfWork, tenant: TenantRef, rate: ShippingRate) -> dict[str, Any]:
    uow.session.flush()
    uow.session.refresh(rate)  # the database's clock set the timestamps
    values = _values(tenant, rate)
    uow.commit()
    return values


def _values(tenant: TenantRef, rate: ShippingRate) -> dict[str, Any]:
    return {**{column.key: getattr(rate, column.key) for column in ShippingRate.__table__.columns},
            "currency": tenant.currency}


def _get_rate(session: Session, rate_id: int) -> ShippingRate:
    rate = session.get(ShippingRate, rate_id)
    if rate is None:
        raise ShippingRateNotFound()
    return rate
