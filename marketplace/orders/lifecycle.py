"""The seller order's life cycle: the one table of its moves, and the one way to make a move.

    awaiting_acceptance → accepted → partially_shipped → shipped → delivered → completed
    awaiting_acceptance → rejected | cancelled;  accepted → cancelled

Every move is checked against the table (409 `illegal_transition` otherwise,
changing nothing), recorded as an event with its actor, time and reason, and
mirrored to the buyer's view of the order (the shared `marketplace_order_sellers`
row) by an outbox message: a tenant's transaction never writes the control
database. The mirror applies an event only if it is newer than the one it
shows, so messages handled late or twice never move the buyer's view back.
The buyer hears of every move; the seller's owners and managers of the moves
someone else made (a carrier's delivery, the completion job), except ends,
which the refund job announces with their refund.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import func, select, update

from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart
from marketplace.core.state_machine import StateMachine
from marketplace.orders.models import SellerOrder, SellerOrderEvent, SellerOrderStatus
from marketplace.sellers.notices import notify_order_handlers, record_notification
from marketplace.webhooks.services import publish
from tenants.locks import lock_row
from tenants.uow import UnitOfWork

MIRROR_STATUS_JOB = "marketplace.orders.jobs.mirror_status"

Status = SellerOrderStatus


class Action(str, enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"
    SHIP_PART = "ship_part"
    SHIP_ALL = "ship_all"
    DELIVER = "deliver"
    COMPLETE = "complete"


class ActorKind(str, enum.Enum):
    SELLER = "seller"
    BUYER = "buyer"
    OPERATOR = "operator"
    CARRIER = "carrier"
    # A scheduled job (the SLA cancellation, completion after the return window).
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user_id: int | None = None


SELLER_ORDER_MOVES: StateMachine[Status, Action] = StateMachine(
    noun="order",
    transitions={
        Action.ACCEPT: (frozenset({Status.AWAITING_ACCEPTANCE}), Status.ACCEPTED),
        Action.REJECT: (frozenset({Status.AWAITING_ACCEPTANCE}), Status.REJECTED),
        Action.CANCEL: (frozenset({Status.AWAITING_ACCEPTANCE, Status.ACCEPTED}), Status.CANCELLED),
        Action.SHIP_PART: (frozenset({Status.ACCEPTED, Status.PARTIALLY_SHIPPED}), Status.PARTIALLY_SHIPPED),
        Action.SHIP_ALL: (frozenset({Status.ACCEPTED, Status.PARTIALLY_SHIPPED}), Status.SHIPPED),
        Action.DELIVER: (frozenset({Status.SHIPPED}), Status.DELIVERED),
        Action.COMPLETE: (frozenset({Status.DELIVERED}), Status.COMPLETED),
    },
    past_tense={Action.ACCEPT: "accepted", Action.REJECT: "rejected", Action.CANCEL: "cancelled",
                Action.SHIP_PART: "partly shipped", Action.SHIP_ALL: "shipped", Action.DELIVER: "delivered",
                Action.COMPLETE: "completed"},
)

# Ends have their own announcement to the seller (orders/services.py settle_ended_order).
ENDS = frozenset({Action.REJECT, Action.CANCEL})

# Open: the seller still owes the buyer something (a seller with such orders cannot be closed).
OPEN_STATUSES = frozenset({Status.AWAITING_ACCEPTANCE, Status.ACCEPTED, Status.PARTIALLY_SHIPPED, Status.SHIPPED})


def lock_seller_order(uow: UnitOfWork, seller_order_id: int) -> SellerOrder | None:
    """The seller order, locked until the transaction ends, as committed now (None if absent)."""
    return lock_row(uow.session, SellerOrder, seller_order_id)


def move(uow: UnitOfWork, seller_order: SellerOrder, action: Action, actor: Actor, reason: str = "") -> SellerOrderEvent:
    """Make `action` on a seller order locked in this tenant-bound unit of work; its event.

    Raises IllegalTransition (409) when the table has no such move from the
    order's status. The caller commits; the buyer's view follows by message.
    """
    target = SELLER_ORDER_MOVES.check(seller_order.status, action)
    event = SellerOrderEvent(seller_order_id=seller_order.id, action=action.value,
                             from_status=seller_order.status, to_status=target, actor_kind=actor.kind.value,
                             actor_user_id=actor.user_id, reason=reason)
    seller_order.status = target
    uow.session.add(event)
    uow.session.flush()
    publish(uow, f"seller_order.{target.value}", seller_order, {
        "previous_status": event.from_status.value, "actor": actor.kind.value, "reason": reason})
    tell_seller = actor.kind is not ActorKind.SELLER and action not in ENDS
    uow.add_message(MIRROR_STATUS_JOB, {
        "tenant_id": uow.tenant.id, "marketplace_order_id": seller_order.marketplace_order_id,
        "status": target.value, "event_id": event.id, "tell_seller": tell_seller}, queue="orders")
    tenant_id, order_id, event_id = uow.tenant.id, seller_order.marketplace_order_id, event.id
    uow.apply_after_commit(lambda: mirror_status(tenant_id, order_id, target.value, event_id, tell_seller),
                           "show a seller order's status to its buyer", marketplace_order_id=order_id)
    return event


def mirror_status(tenant_id: int, marketplace_order_id: int, status: str, event_id: int,
                  tell_seller: bool = False) -> bool:
    """Show the buyer a seller order's status, unless a newer event is already shown; True if applied.

    The buyer (and, if `tell_seller`, the seller's order handlers) is notified
    of each event once (its notification's dedupe key names the event),
    whether this run or an earlier one applied it.
    """
    with UnitOfWork() as uow:
        part = uow.session.execute(
            update(OrderSellerPart)
            .where(OrderSellerPart.order_id == marketplace_order_id, OrderSellerPart.tenant_id == tenant_id,
                   OrderSellerPart.status_event_id < event_id)
            .values(status=status, status_event_id=event_id, delivered_at=_delivered_at(status))
            .returning(OrderSellerPart.seller_name)).first()
        buyer_user_id = uow.session.scalar(select(MarketplaceOrder.buyer_user_id)
                                           .where(MarketplaceOrder.id == marketplace_order_id))
        if part is not None and buyer_user_id is not None:
            record_notification(
                uow, user_id=buyer_user_id, kind="seller_order_status", tenant_id=tenant_id,
                dedupe_key=f"seller_order_status:{tenant_id}:{event_id}",
                subject=f"Order {marketplace_order_id}: {part.seller_name} — {status.replace('_', ' ')}",
                body=f"{part.seller_name}'s part of your order {marketplace_order_id} is now "
                     f"{status.replace('_', ' ')}.")
        if tell_seller:
            notify_order_handlers(uow, tenant_id, kind="seller_order_status",
                                  dedupe_key=f"seller_order_moved:{tenant_id}:{event_id}",
                                  subject=f"Order {marketplace_order_id} is now {status.replace('_', ' ')}",
                                  body=f"Order {marketplace_order_id} is now {status.replace('_', ' ')}.")
        uow.commit()
    return part is not None


def _delivered_at(status: str):
    """The part's delivery time after moving to `status`: set once, when first delivered (or completed, if the
    delivered event was overtaken), so that the transfer hold period counts from the buyer getting the goods."""
    if status in (Status.DELIVERED.value, Status.COMPLETED.value):
        return func.coalesce(OrderSellerPart.delivered_at, func.now())
    return OrderSellerPart.delivered_at
