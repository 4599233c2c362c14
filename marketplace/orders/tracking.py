"""Tracking events of shipments, from the seller API or from a carrier's signed webhook; delivery and completion.

A carrier webhook (`POST /webhooks/carriers/{slug}`) carries the header

    Carrier-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with that seller's carrier webhook secret; a signature older or newer
than CARRIER_SIGNATURE_TOLERANCE_SECONDS is refused, and an event id seen
before by this seller is refused (409 `duplicate_event`), so a captured
delivery cannot be played again. The shipment is looked up in that seller's
schema only: another seller's tracking number is not found (404).

When every shipment of a fully shipped order is delivered, the order moves to
`delivered`; a scheduled job completes delivered orders once the seller's
return window (`return_window_days`, else RETURN_WINDOW_DAYS) has passed.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert

from marketplace.core.errors import ApiError, Conflict, NotFound
from marketplace.orders.lifecycle import Action, Actor, ActorKind, lock_seller_order, move
from marketplace.orders.models import (OPEN_RETURN_STATUSES, FulfilmentSettings, Return, SellerOrder,
                                       SellerOrderEvent, SellerOrderStatus, Shipment, TrackingEvent, TrackingSource,
                                       TrackingStatus)
from marketplace.orders.shipments import shipment_views
from marketplace.webhooks.models import SHIPMENT_TRACKING_UPDATED
from marketplace.webhooks.services import publish
from tenants.db import utcnow
from tenants.fleet import load_tenants
from tenants.locks import lock_first
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

CARRIER_SIGNATURE_TOLERANCE_SECONDS = 300
# What a carrier or seller may report: `shipped` is only where a new shipment starts.
REPORTABLE_STATUSES = tuple(status.value for status in TrackingStatus if status is not TrackingStatus.SHIPPED)


class ShipmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no shipment with this id or tracking number.")


class DuplicateTrackingEvent(Conflict):
    code = "duplicate_event"

    def __init__(self, external_id: str) -> None:
        super().__init__(f"The tracking event {external_id} was received before; nothing changed.")


class InvalidCarrierWebhook(ApiError):
    status, code = 400, "invalid_webhook"


def record_seller_event(tenant: TenantRef, user_id: int | None, shipment_id: int, event: dict[str, Any]) -> dict:
    """A seller reports where a shipment is; the shipment as it now stands."""
    with UnitOfWork(tenant) as uow:
        shipment = uow.session.get(Shipment, shipment_id)
        if shipment is None:
            raise ShipmentNotFound()
        _record(uow, shipment, event, TrackingSource.SELLER, Actor(ActorKind.SELLER, user_id))
        view = shipment_views(uow.session, [shipment.id])[0]
        uow.commit()
    return view


def receive_carrier_webhook(tenant: TenantRef, payload: bytes, signature: str | None,
                            parse_event: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
    """Check a carrier's delivery against the seller's secret, then record its event; the shipment.

    `parse_event` turns the verified body into {id, tracking_number, status,
    occurred_at, description} (422 if it cannot): nothing unverified is parsed.
    """
    with UnitOfWork(tenant) as uow:
        settings = uow.session.get(FulfilmentSettings, 1)
        if settings is None or not settings.carrier_webhook_secret:
            raise InvalidCarrierWebhook("This seller has no carrier webhook secret yet: its owner sets one.")
        _verify_signature(payload, signature, settings.carrier_webhook_secret, int(time.time()))
        event = parse_event(payload)
        shipment = uow.session.scalar(select(Shipment).where(Shipment.tracking_number == event["tracking_number"])
                                      .order_by(Shipment.id.desc()).limit(1))
        if shipment is None:
            raise ShipmentNotFound()
        _record(uow, shipment, event, TrackingSource.CARRIER, Actor(ActorKind.CARRIER))
        view = shipment_views(uow.session, [shipment.id])[0]
        uow.commit()
    return view


def rotate_carrier_webhook_secret(tenant: TenantRef) -> dict[str, Any]:
    """A new carrier webhook secret for the seller, replacing the old one at once; shown this once."""
    secret = "cwhsec_" + secrets.token_urlsafe(32)
    with UnitOfWork(tenant) as uow:
        settings = _settings_for_update(uow)
        settings.carrier_webhook_secret = secret
        settings.carrier_webhook_secret_rotated_at = utcnow()
        uow.session.flush()
        rotated_at = settings.carrier_webhook_secret_rotated_at
        uow.commit()
    return {"secret": secret, "rotated_at": rotated_at}


def fulfilment_settings(tenant: TenantRef, default_window_days: int) -> dict[str, Any]:
    """The seller's return window (its own, or the platform's) and whether carriers can sign to it."""
    with UnitOfWork(tenant) as uow:
        return _settings_view(uow.session.get(FulfilmentSettings, 1), default_window_days)


def change_fulfilment_settings(tenant: TenantRef, return_window_days: int | None, default_window_days: int,
                               refund_shipping_on_return: bool | None = None) -> dict[str, Any]:
    """Set the seller's own return window (None: the platform's RETURN_WINDOW_DAYS again) and, if given, whether
    a received return also refunds shipping."""
    with UnitOfWork(tenant) as uow:
        settings = _settings_for_update(uow)
        settings.return_window_days = return_window_days
        if refund_shipping_on_return is not None:
            settings.refund_shipping_on_return = refund_shipping_on_return
        uow.session.flush()
        view = _settings_view(settings, default_window_days)
        uow.commit()
    return view


def carrier_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Carrier-Signature header of `payload` signed at `timestamp` (default: now), as carriers send it."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


def complete_past_return_window(default_window_days: int) -> int:
    """Scheduled: complete every seller's delivered orders whose return window has passed; how many.

    Each seller in its own transaction; an order with a return still open waits
    for it. An order is re-read under its lock, so a run that overlaps another
    completes nothing twice, and a return requested meanwhile keeps it open.
    """
    completed = 0
    for tenant in load_tenants():
        try:
            completed += _complete_for(tenant, default_window_days)
        except Exception:  # one seller's failure must not keep the others' orders from completing
            log.exception("completing delivered orders failed", extra={"tenant_id": tenant.id})
    return completed


def _complete_for(tenant: TenantRef, default_window_days: int) -> int:
    with UnitOfWork(tenant) as uow:
        settings = uow.session.get(FulfilmentSettings, 1)
        window_days = default_window_days if settings is None or settings.return_window_days is None \
            else settings.return_window_days
        delivered_before = utcnow() - timedelta(days=window_days)
        due_ids = uow.session.scalars(
            select(SellerOrder.id).where(
                SellerOrder.status == SellerOrderStatus.DELIVERED,
                exists().where(SellerOrderEvent.seller_order_id == SellerOrder.id,
                               SellerOrderEvent.action == Action.DELIVER.value,
                               SellerOrderEvent.created_at <= delivered_before),
                ~_open_return_exists(SellerOrder.id))
            .order_by(SellerOrder.id)).all()
        completed = 0
        for seller_order_id in due_ids:
            seller_order = lock_seller_order(uow, seller_order_id)
            if seller_order is not None and seller_order.status is SellerOrderStatus.DELIVERED \
                    and not uow.session.scalar(select(_open_return_exists(seller_order.id))):
                move(uow, seller_order, Action.COMPLETE, Actor(ActorKind.SYSTEM),
                     reason=f"The {window_days}-day return window has passed.")
                completed += 1
        uow.commit()
    return completed


def _record(uow: UnitOfWork, shipment: Shipment, event: dict[str, Any], source: TrackingSource,
            actor: Actor) -> None:
    """Store the event, move the shipment, and deliver the order when its last parcel arrived.

    The seller order is locked first (the lock order of a shipment's writes),
    so two parcels delivered at once cannot both miss that the other arrived.
    """
    seller_order = lock_seller_order(uow, shipment.seller_order_id)
    uow.session.refresh(shipment)  # as the last event under this lock left it
    external_id = event.get("id")
    if external_id is not None and uow.session.scalar(
            select(TrackingEvent.id).where(TrackingEvent.external_id == external_id)) is not None:
        raise DuplicateTrackingEvent(external_id)
    status = TrackingStatus(event["status"])
    occurred_at = event.get("occurred_at") or utcnow()
    uow.session.add(TrackingEvent(shipment_id=shipment.id, status=status, source=source, external_id=external_id,
                                  description=event.get("description", ""), occurred_at=occurred_at))
    # A delivered parcel stays delivered: a late "in transit" from the carrier is kept as history only.
    if shipment.status is not TrackingStatus.DELIVERED:
        shipment.status = status
        if status is TrackingStatus.DELIVERED:
            shipment.delivered_at = occurred_at
    uow.session.flush()
    publish(uow, SHIPMENT_TRACKING_UPDATED, seller_order, {
        "shipment": shipment_views(uow.session, [shipment.id])[0],
        "tracking_event": {"status": status.value, "description": event.get("description", ""),
                           "occurred_at": occurred_at.isoformat(), "source": source.value}})
    if seller_order.status is SellerOrderStatus.SHIPPED and _every_shipment_delivered(uow, seller_order.id):
        move(uow, seller_order, Action.DELIVER, actor, reason="Every shipment was delivered.")


def _every_shipment_delivered(uow: UnitOfWork, seller_order_id: int) -> bool:
    undelivered = uow.session.scalar(select(func.count(Shipment.id)).where(
        Shipment.seller_order_id == seller_order_id, Shipment.status != TrackingStatus.DELIVERED))
    return undelivered == 0


def _verify_signature(payload: bytes, header: str | None, secret: str, now: int) -> None:
    if not header:
        raise InvalidCarrierWebhook("The Carrier-Signature header is missing.")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        signed_at = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise InvalidCarrierWebhook("The Carrier-Signature header is not `t=<unix time>,v1=<hex>`.") from None
    if abs(now - signed_at) > CARRIER_SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidCarrierWebhook(f"The signature is more than {CARRIER_SIGNATURE_TOLERANCE_SECONDS} s away "
                                    "from now: a stale or replayed delivery.")
    expected = hmac.new(secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InvalidCarrierWebhook("The signature does not verify with this seller's secret.")


def _open_return_exists(seller_order_id):
    """Whether the seller order has a return requested, approved or received and not refunded yet (SQL)."""
    return exists().where(Return.seller_order_id == seller_order_id, Return.status.in_(OPEN_RETURN_STATUSES))


def _settings_view(settings: FulfilmentSettings | None, default_window_days: int) -> dict[str, Any]:
    own_days = settings.return_window_days if settings else None
    return {"return_window_days": own_days,
            "effective_return_window_days": default_window_days if own_days is None else own_days,
            "refund_shipping_on_return": bool(settings and settings.refund_shipping_on_return),
            "carrier_webhook_secret_rotated_at": settings.carrier_webhook_secret_rotated_at if settings else None}


def _settings_for_update(uow: UnitOfWork) -> FulfilmentSettings:
    """The seller's fulfilment settings row, made if missing, locked."""
    uow.session.execute(insert(FulfilmentSettings).values(id=1).on_conflict_do_nothing())
    return lock_first(uow.session, select(FulfilmentSettings).where(FulfilmentSettings.id == 1))
