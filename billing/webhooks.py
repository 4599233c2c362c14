"""Events from the payment processor: stored once by id, then handled by a job that re-reads their object.

The endpoint (marketplace/payments/api.py) verifies the signature and calls
`record_event`, which stores the event in `gateway_events` and, in the same
control-database transaction, an outbox message for `billing.jobs.handle_gateway_event`.
A replayed event id inserts nothing and sends nothing.

Handlers register per event type:

    @handles("payment_intent.succeeded")
    def mark_order_paid(intent: PaymentIntent, event: WebhookEvent) -> None: ...

A handler gets the event's object **as the gateway has it now** (a
PaymentIntent for `payment_intent.*`, a Refund for `refund.*`, a Charge for
`charge.*`, a ConnectedAccount for `account.*`, a Transfer for `transfer.*`,
a Payout for `payout.*`, read on the event's connected account, a Dispute for
`charge.dispute.*`), re-read
through the port, never the payload's copy: a forged or stale payload cannot
make it act, and an event handled late or out of order (a `payment_failed`
arriving after the intent succeeded) sees the current state. So a handler
decides from the object's state, not from the event's type alone, and must be
idempotent: the job may run twice (at-least-once delivery), and it runs every
handler again if it died before marking the event handled. Modules that
register handlers must be imported when the app is built (the worker builds
the app too), so that the registry is complete wherever jobs run.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import DateTime, String, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from billing.gateway.port import (
    Charge, ConnectedAccount, Dispute, PaymentGateway, PaymentIntent, Payout, Refund, Transfer, WebhookEvent,
)
from tenants.db import SharedBase, utcnow
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

HANDLE_EVENT_JOB = "billing.jobs.handle_gateway_event"
# Payments decide orders: their events share the orders queue, ahead of everything else.
HANDLE_EVENT_QUEUE = "orders"

GatewayObject = PaymentIntent | Refund | Charge | ConnectedAccount | Transfer | Payout | Dispute
Handler = Callable[[GatewayObject, WebhookEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


class GatewayEventRecord(SharedBase):
    """An event received from the gateway, once per event id."""

    __tablename__ = "gateway_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(255))
    # The connected account the event happened on (Connect events); None for the platform's own.
    account: Mapped[str | None] = mapped_column(String(255))
    # When the gateway created the event (its `created`), not when it arrived.
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UnreadableObject(LookupError):
    """Handlers are registered for an event whose object the port cannot re-read."""


def handles(event_type: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for events of `event_type` (called as `handler(object, event)`)."""
    def register(handler: Handler) -> Handler:
        _handlers[event_type].append(handler)
        return handler

    return register


def unregister(handler: Handler) -> None:
    """Take `handler` off every event type (tests register handlers of their own)."""
    for registered in _handlers.values():
        if handler in registered:
            registered.remove(handler)


def record_event(event: WebhookEvent) -> bool:
    """Store a verified event and the message that handles it; False (and nothing written) if already stored."""
    with UnitOfWork() as uow:
        stored_id = uow.session.execute(
            insert(GatewayEventRecord)
            .values(id=event.id, type=event.type, object_type=event.object_type, object_id=event.object_id,
                    account=event.account, created=datetime.fromtimestamp(event.created, timezone.utc))
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(GatewayEventRecord.id)
        ).scalar_one_or_none()
        if stored_id is None:
            return False
        uow.add_message(HANDLE_EVENT_JOB, {"event_id": event.id}, queue=HANDLE_EVENT_QUEUE)
        uow.commit()
    return True


def handle_event(gateway: PaymentGateway, event_id: str) -> bool:
    """Run the handlers of a stored event on its object re-read from `gateway`; False if there was nothing to do.

    Unknown types (no handler) are marked handled without calling the gateway.
    """
    event = _unhandled_event(event_id)
    if event is None:
        return False
    handlers = list(_handlers.get(event.type, ()))
    if handlers:
        current_object = _reread(gateway, event)
        for handler in handlers:
            handler(current_object, event)
    _mark_handled(event_id)
    log.info("gateway event handled", extra={"event_id": event_id, "event_type": event.type,
                                             "handler_count": len(handlers)})
    return True


def _unhandled_event(event_id: str) -> WebhookEvent | None:
    with UnitOfWork() as uow:
        record = uow.session.get(GatewayEventRecord, event_id)
        if record is None or record.handled_at is not None:
            return None
        return WebhookEvent(id=record.id, type=record.type, object_type=record.object_type,
                            object_id=record.object_id, created=int(record.created.timestamp()),
                            account=record.account)


def _reread(gateway: PaymentGateway, event: WebhookEvent) -> GatewayObject:
    reread_by_object_type: dict[str, Callable[[str], GatewayObject]] = {
        "payment_intent": gateway.retrieve_payment_intent,
        "refund": gateway.retrieve_refund,
        "charge": gateway.retrieve_charge,
        "account": gateway.retrieve_account,
        "transfer": gateway.retrieve_transfer,
        "dispute": gateway.retrieve_dispute,
    }
    if event.object_type == "payout" and event.account is not None:
        # A connected account's payout is read as that account (Stripe-Account); its id alone finds nothing.
        return gateway.retrieve_payout(event.account, event.object_id)
    reread = reread_by_object_type.get(event.object_type)
    if reread is None:
        raise UnreadableObject(f"handlers are registered for {event.type}, whose {event.object_type} object "
                               f"the gateway port cannot re-read")
    return reread(event.object_id)


def _mark_handled(event_id: str) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(update(GatewayEventRecord)
                            .where(GatewayEventRecord.id == event_id, GatewayEventRecord.handled_at.is_(None))
                            .values(handled_at=utcnow()))
        uow.commit()
