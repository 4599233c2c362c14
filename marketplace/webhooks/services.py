"""A seller's webhook endpoints, the publishing of order events to them, their deliveries and replays.

`publish` runs inside the tenant's unit of work that made the event: one
delivery row per active endpoint subscribed to its type, each with an outbox
message for the send job (marketplace/webhooks/delivery.py), so an event is
delivered if and only if its change commits.
"""
from __future__ import annotations

import secrets
import uuid
from typing import Any, Sequence

from sqlalchemy import any_, delete, func, insert, select

from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.orders.models import SellerOrder
from marketplace.webhooks.models import (EVENT_TYPES, DeliveryStatus, WebhookAttempt, WebhookDelivery,
                                         WebhookEndpoint)
from marketplace.webhooks.urls import UnsafeDestination, check_endpoint_url
from tenants.db import utcnow
from tenants.locks import lock_row
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.uow import UnitOfWork

SEND_JOB = "marketplace.webhooks.jobs.send_delivery"
WEBHOOKS_QUEUE = "webhooks"
SECRET_PREFIX = "mwhsec_"
# Sellers whose schemas may hold deliveries to send: a suspended seller still fulfils (and tells its systems).
SENDING_STATUSES = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED)


class EndpointNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no webhook endpoint with this id.")


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no webhook delivery with this id.")


class UnknownEventType(ValueError):
    """A service published an event type missing from EVENT_TYPES: a programming error, not a user's."""


def publish(uow: UnitOfWork, event_type: str, seller_order: SellerOrder, data: dict[str, Any]) -> uuid.UUID | None:
    """Record the event for every active endpoint of the seller subscribed to `event_type`; its id (None: no one).

    Call it inside the tenant-bound unit of work that made the event, before
    its commit. The payload is `{id, type, created_at, data}`, `data` holding
    the seller, the order's ids and status, then `data`.
    """
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(event_type)
    endpoint_ids = uow.session.scalars(select(WebhookEndpoint.id).where(
        WebhookEndpoint.active, event_type == any_(WebhookEndpoint.event_types)).order_by(WebhookEndpoint.id)).all()
    if not endpoint_ids:
        return None
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": event_type, "created_at": utcnow().isoformat(), "data": {
        "seller": {"id": uow.tenant.id, "slug": uow.tenant.slug},
        "marketplace_order_id": seller_order.marketplace_order_id, "seller_order_id": seller_order.id,
        "status": seller_order.status.value, **data}}
    delivery_ids = uow.session.scalars(insert(WebhookDelivery).returning(WebhookDelivery.id, sort_by_parameter_order=True), [
        {"endpoint_id": endpoint_id, "event_id": event_id, "event_type": event_type,
         "marketplace_order_id": seller_order.marketplace_order_id, "payload": payload}
        for endpoint_id in endpoint_ids]).all()
    for delivery_id in delivery_ids:
        _queue_send(uow, delivery_id)
    return event_id


def register_endpoint(tenant: TenantRef, url: str, event_types: Sequence[str], description: str,
                      allow_loopback: bool) -> dict[str, Any]:
    """A new endpoint, active; its view with the signing secret, shown this once."""
    _check_url(url, allow_loopback)
    secret = _new_secret()
    with UnitOfWork(tenant) as uow:
        endpoint = WebhookEndpoint(url=url, event_types=_unique(event_types), secret=secret,
                                   description=description)
        uow.session.add(endpoint)
        uow.session.flush()
        uow.session.refresh(endpoint)
        view = {**endpoint_view(endpoint), "secret": secret}
        uow.commit()
    return view


def list_endpoints(tenant: TenantRef, page_request: PageRequest) -> Page[dict[str, Any]]:
    with UnitOfWork(tenant) as uow:
        page = fetch_page(uow.session, select(WebhookEndpoint).order_by(WebhookEndpoint.id), page_request)
        return page.map(endpoint_view)


def get_endpoint(tenant: TenantRef, endpoint_id: int) -> dict[str, Any]:
    with UnitOfWork(tenant) as uow:
        return endpoint_view(_endpoint(uow, endpoint_id))


def change_endpoint(tenant: TenantRef, endpoint_id: int, changes: dict[str, Any],
                    allow_loopback: bool) -> dict[str, Any]:
    """Change an endpoint's URL, event types, description or active flag; its view.

    A deactivated endpoint gets no new deliveries, and its pending ones wait
    until it is active again.
    """
    if "url" in changes:
        _check_url(changes["url"], allow_loopback)
    if "event_types" in changes:
        changes = {**changes, "event_types": _unique(changes["event_types"])}
    with UnitOfWork(tenant) as uow:
        endpoint = _endpoint(uow, endpoint_id)
        for name, value in changes.items():
            setattr(endpoint, name, value)
        uow.session.flush()
        view = endpoint_view(endpoint)
        uow.commit()
    return view


def delete_endpoint(tenant: TenantRef, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and their attempts (nothing more is sent to it)."""
    with UnitOfWork(tenant) as uow:
        deleted = uow.session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)).rowcount
        if not deleted:
            raise EndpointNotFound()
        uow.commit()


def rotate_secret(tenant: TenantRef, endpoint_id: int) -> dict[str, Any]:
    """A new signing secret for the endpoint, replacing the old one at once; its view with the secret, shown once."""
    secret = _new_secret()
    with UnitOfWork(tenant) as uow:
        endpoint = lock_row(uow.session, WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise EndpointNotFound()
        endpoint.secret = secret
        endpoint.secret_rotated_at = utcnow()
        uow.session.flush()
        view = {**endpoint_view(endpoint), "secret": secret}
        uow.commit()
    return view


def list_deliveries(tenant: TenantRef, endpoint_id: int, page_request: PageRequest) -> Page[dict[str, Any]]:
    """An endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    with UnitOfWork(tenant) as uow:
        _endpoint(uow, endpoint_id)
        page = fetch_page(uow.session, select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                          .order_by(WebhookDelivery.id.desc()), page_request)
        attempts = _attempts_of(uow, [delivery.id for delivery in page.items])
        return page.map(lambda delivery: delivery_view(delivery, attempts.get(delivery.id, [])))


def replay_delivery(tenant: TenantRef, delivery_id: int) -> dict[str, Any]:
    """Send a delivery again, with the same event id, by the send job; its view.

    It becomes pending and due now. It still waits for the earlier pending
    deliveries of its endpoint and order (the order rule); one that fails is
    retried while it has attempts left of WEBHOOK_MAX_ATTEMPTS, else failed again.
    """
    with UnitOfWork(tenant) as uow:
        delivery = lock_row(uow.session, WebhookDelivery, delivery_id)
        if delivery is None:
            raise DeliveryNotFound()
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = utcnow()
        _queue_send(uow, delivery.id)
        uow.session.flush()
        view = delivery_view(delivery, _attempts_of(uow, [delivery.id]).get(delivery.id, []))
        uow.commit()
    return view


def queue_due_deliveries(batch_size: int) -> int:
    """Periodic: queue the send job of every delivery due now at the head of its (endpoint, order); how many.

    Each seller in its own transaction (see marketplace/orders/sla.py for the
    walk of the fleet). Only heads are queued: a later delivery of the same
    order waits for them anyway, and their job sends it next.
    """
    queued = 0
    for tenant in _sending_tenants():
        with UnitOfWork(tenant) as uow:
            due_ids = uow.session.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.id.in_(_pending_heads()), WebhookDelivery.next_attempt_at <= func.now())
                .order_by(WebhookDelivery.id).limit(batch_size)).all()
            for delivery_id in due_ids:
                _queue_send(uow, delivery_id)
            uow.commit()
        queued += len(due_ids)
    return queued


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.id, "url": endpoint.url, "event_types": list(endpoint.event_types),
            "description": endpoint.description, "active": endpoint.active, "created_at": endpoint.created_at,
            "secret_rotated_at": endpoint.secret_rotated_at}


def delivery_view(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {"id": delivery.id, "endpoint_id": delivery.endpoint_id, "event_id": str(delivery.event_id),
            "event_type": delivery.event_type, "marketplace_order_id": delivery.marketplace_order_id,
            "status": delivery.status.value, "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at, "last_response_status": delivery.last_response_status,
            "last_error": delivery.last_error, "delivered_at": delivery.delivered_at,
            "created_at": delivery.created_at, "payload": delivery.payload,
            "attempt_log": [{"attempted_at": attempt.attempted_at, "response_status": attempt.response_status,
                             "error": attempt.error, "duration_ms": attempt.duration_ms} for attempt in attempts]}


def _pending_heads():
    """The first pending delivery of each (endpoint, order) whose endpoint is active."""
    return (select(func.min(WebhookDelivery.id))
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookEndpoint.active)
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.marketplace_order_id))


def _queue_send(uow: UnitOfWork, delivery_id: int) -> None:
    uow.add_message(SEND_JOB, {"tenant_id": uow.tenant.id, "delivery_id": delivery_id}, queue=WEBHOOKS_QUEUE)


def _sending_tenants() -> list[TenantRef]:
    with UnitOfWork() as uow:
        return [tenant.ref() for tenant in uow.session.scalars(
            select(Tenant).where(Tenant.schema_name.is_not(None), Tenant.status.in_(SENDING_STATUSES))
            .order_by(Tenant.id))]


def _endpoint(uow: UnitOfWork, endpoint_id: int) -> WebhookEndpoint:
    endpoint = uow.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


def _attempts_of(uow: UnitOfWork, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    by_delivery: dict[int, list[WebhookAttempt]] = {}
    if delivery_ids:
        for attempt in uow.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                                           .order_by(WebhookAttempt.id)):
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return by_delivery


def _check_url(url: str, allow_loopback: bool) -> None:
    try:
        check_endpoint_url(url, allow_loopback)
    except UnsafeDestination as error:
        raise ValidationFailed("This URL cannot receive webhooks.", errors={"url": [str(error)]}) from None


def _unique(event_types: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(event_types))


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)
