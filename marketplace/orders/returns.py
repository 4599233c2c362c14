"""Returns: a buyer sends back delivered units, the seller approves or rejects, receives them, and they are refunded.

    requested → approved | rejected;  approved → received;  received → refunded

A return never moves its seller order (`lifecycle.py`); it only keeps it from
being completed while open (`tracking.complete_past_return_window`).

A request is one transaction in the seller's schema that locks the seller
order first, so two concurrent requests for the last units queue and the
second counts the first's: within the return window (counted from the order's
`deliver` event; 409 `return_window_closed` after it, 409 `not_delivered`
before it) a line gives back at most its delivered units minus those in its
returns not rejected (422 naming the line).

Receipt (the seller names every line of the return, resellable or not) puts
resellable units back on hand with `return` stock movements and fixes the
refund: each line's units take their share of the line total, and, if the
seller's policy `refund_shipping_on_return` says so, the goods take their
share of shipping. Shares are cumulative (`_cumulative_share`): a return takes
the share of everything received so far minus the share already taken, each
split by `allocate`, so a line or the shipping returned in pieces is refunded
to the last unit exactly once. Its outbox message then refunds it in the
control database (`refund_return`, key `return:{tenant}:{return}`), and a
message back to the seller records the refund's id and moves the return to
`refunded` (`record_return_refund`). Both jobs do nothing twice.
"""
from __future__ import annotations

import enum
import logging
from collections import Counter
from datetime import timedelta
from typing import Any, Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from billing.money import Money, allocate, format_amount
from marketplace.catalog.models import StockReason
from marketplace.catalog.stock import StockChange, record_movements
from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.core.state_machine import StateMachine
from marketplace.orders.lifecycle import Action, lock_seller_order
from marketplace.orders.line_quantities import LineMessages, line_quantity_errors
from marketplace.orders.models import (FulfilmentSettings, Return, ReturnLine, ReturnStatus, SellerOrder,
                                       SellerOrderEvent, SellerOrderLine, SellerOrderStatus, Shipment, ShipmentLine,
                                       TrackingStatus)
from marketplace.refunds.services import RefundExceedsRemaining, record_refund
from marketplace.sellers.notices import notify_order_handlers, record_notification
from marketplace.webhooks.services import publish
from tenants.db import utcnow
from tenants.locks import lock_first, lock_row
from tenants.models import TenantRef
from tenants.registry import TenantNotFound, get_tenant_by_id, get_tenant_by_slug
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

NOTIFY_RETURN_JOB = "marketplace.orders.jobs.notify_return"
REFUND_RETURN_JOB = "marketplace.orders.jobs.refund_return"
RECORD_RETURN_REFUND_JOB = "marketplace.orders.jobs.record_return_refund"


class ReturnAction(str, enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"
    RECEIVE = "receive"
    REFUND = "refund"


RETURN_MOVES: StateMachine[ReturnStatus, ReturnAction] = StateMachine(
    noun="return",
    transitions={
        ReturnAction.APPROVE: (frozenset({ReturnStatus.REQUESTED}), ReturnStatus.APPROVED),
        ReturnAction.REJECT: (frozenset({ReturnStatus.REQUESTED}), ReturnStatus.REJECTED),
        ReturnAction.RECEIVE: (frozenset({ReturnStatus.APPROVED}), ReturnStatus.RECEIVED),
        ReturnAction.REFUND: (frozenset({ReturnStatus.RECEIVED}), ReturnStatus.REFUNDED),
    },
    past_tense={ReturnAction.APPROVE: "approved", ReturnAction.REJECT: "rejected",
                ReturnAction.RECEIVE: "received", ReturnAction.REFUND: "refunded"},
)

# Statuses whose units count as returned: a rejected return gives its units back to the buyer's allowance.
COUNTED_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
# Statuses whose refund shares are fixed (receipt fixes them).
RECEIVED_STATUSES = (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)


class ReturnNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no return with this id.")


class BuyersOrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("You have no order with this id from this seller.")


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"

    def __init__(self, window_days: int) -> None:
        super().__init__(f"The {window_days}-day return window of this order has passed.")


class NotDelivered(Conflict):
    code = "not_delivered"

    def __init__(self) -> None:
        super().__init__("This seller's part of the order has not been delivered yet: only delivered units "
                         "are returned.")


class UnitsNotReturnable(ValidationFailed):
    """Some lines are not the order's, repeat, or ask for more units than were delivered and not yet returned."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("Some lines cannot be returned as asked.", errors=errors)


class ReceiptLinesMismatch(ValidationFailed):
    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("Name every line of the return once, and only its lines.", errors=errors)


# The buyer

def request_return(buyer_user_id: int, order_id: int, seller_slug: str, reason: str,
                   lines: Sequence[dict[str, int]], default_window_days: int) -> dict[str, Any]:
    """The buyer asks to return `lines` ({line_id: their order line id, quantity}); the return, as they see it.

    Another buyer's order, or one without this seller, is 404.
    """
    try:
        tenant = get_tenant_by_slug(seller_slug)
    except TenantNotFound:
        raise BuyersOrderNotFound() from None
    with UnitOfWork(tenant) as uow:
        seller_order = lock_first(uow.session, select(SellerOrder).where(
            SellerOrder.marketplace_order_id == order_id, SellerOrder.buyer_user_id == buyer_user_id))
        if seller_order is None:
            raise BuyersOrderNotFound()
        _check_window(uow.session, seller_order, default_window_days)
        returnable = _returnable_units(uow.session, seller_order.id)
        _check_returnable(lines, returnable)
        seller_line_of = {order_line_id: seller_line_id for order_line_id, (seller_line_id, _) in returnable.items()}
        return_ = Return(seller_order_id=seller_order.id, buyer_user_id=buyer_user_id, status=ReturnStatus.REQUESTED,
                         reason=reason)
        uow.session.add(return_)
        uow.session.flush()
        uow.session.add_all(ReturnLine(return_id=return_.id, seller_order_line_id=seller_line_of[line["line_id"]],
                                       quantity=line["quantity"]) for line in lines)
        uow.session.flush()
        _notify(uow, return_, seller_order, ReturnStatus.REQUESTED)
        _announce(uow, seller_order, return_)
        [view] = buyer_return_views(uow.session, [return_.id])
        uow.commit()
    return view


def _check_window(session: Session, seller_order: SellerOrder, default_window_days: int) -> None:
    delivered_at = session.scalar(select(func.max(SellerOrderEvent.created_at)).where(
        SellerOrderEvent.seller_order_id == seller_order.id, SellerOrderEvent.action == Action.DELIVER.value))
    if delivered_at is None:
        raise NotDelivered()
    window_days = return_window_days(session, default_window_days)
    if seller_order.status is SellerOrderStatus.COMPLETED or utcnow() > delivered_at + timedelta(days=window_days):
        raise ReturnWindowClosed(window_days)


def return_window_days(session: Session, default_window_days: int) -> int:
    """The seller's own return window, else the platform's, in a tenant-bound session."""
    own_days = session.scalar(select(FulfilmentSettings.return_window_days).where(FulfilmentSettings.id == 1))
    return default_window_days if own_days is None else own_days


def _returnable_units(session: Session, seller_order_id: int) -> dict[int, tuple[int, int]]:
    """{buyer's order line id: (seller order line id, units delivered and not in a return counted)}."""
    delivered = (select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
                 .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                 .where(ShipmentLine.seller_order_line_id == SellerOrderLine.id,
                        Shipment.status == TrackingStatus.DELIVERED).scalar_subquery())
    returned = (select(func.coalesce(func.sum(ReturnLine.quantity), 0))
                .join(Return, Return.id == ReturnLine.return_id)
                .where(ReturnLine.seller_order_line_id == SellerOrderLine.id,
                       Return.status.in_(COUNTED_STATUSES)).scalar_subquery())
    rows = session.execute(select(SellerOrderLine.marketplace_order_line_id, SellerOrderLine.id, delivered - returned)
                           .where(SellerOrderLine.seller_order_id == seller_order_id)).all()
    return {order_line_id: (seller_line_id, int(left)) for order_line_id, seller_line_id, left in rows}


RETURN_MESSAGES = LineMessages(
    not_a_line=lambda line_id: f"Line {line_id} is not a line of this seller's part of the order.",
    repeated=lambda line_id: f"Line {line_id} appears more than once: return its units in one entry.",
    too_many=lambda line_id, left, asked: (f"Line {line_id} has {left} delivered unit(s) not returned yet, "
                                           f"not {asked}."),
)


def _check_returnable(lines: Sequence[dict[str, int]], returnable: dict[int, tuple[int, int]]) -> None:
    errors = line_quantity_errors(lines, {line_id: left for line_id, (_, left) in returnable.items()},
                                  RETURN_MESSAGES)
    if errors:
        raise UnitsNotReturnable({"lines": errors})


# The seller

def list_returns(tenant: TenantRef, statuses: Sequence[ReturnStatus], page_request: PageRequest) -> Page[dict]:
    """The seller's returns, newest first, of the given statuses (all if none)."""
    statement: Select = select(Return.id).order_by(Return.id.desc())
    if statuses:
        statement = statement.where(Return.status.in_(statuses))
    with UnitOfWork(tenant) as uow:
        page = fetch_page(uow.session, statement, page_request)
        return Page(seller_return_views(uow.session, page.items), page.total)


def get_return(tenant: TenantRef, return_id: int) -> dict[str, Any]:
    with UnitOfWork(tenant) as uow:
        views = seller_return_views(uow.session, [return_id])
    if not views:
        raise ReturnNotFound()
    return views[0]


def approve(tenant: TenantRef, return_id: int) -> dict[str, Any]:
    """Approve a requested return: the buyer is told to send the units back."""
    return _decide(tenant, return_id, ReturnAction.APPROVE, "")


def reject(tenant: TenantRef, return_id: int, reason: str) -> dict[str, Any]:
    """Reject a requested return, saying why: its units may be asked for again."""
    return _decide(tenant, return_id, ReturnAction.REJECT, reason)


def _decide(tenant: TenantRef, return_id: int, action: ReturnAction, reason: str) -> dict[str, Any]:
    with UnitOfWork(tenant) as uow:
        seller_order, return_ = _locked(uow, return_id)
        return_.status = RETURN_MOVES.check(return_.status, action)
        return_.decision_reason = reason
        return_.decided_at = utcnow()
        uow.session.flush()
        _notify(uow, return_, seller_order, return_.status)
        [view] = seller_return_views(uow.session, [return_.id])
        _announce(uow, seller_order, return_, view)
        uow.commit()
    return view


def receive(tenant: TenantRef, user_id: int, return_id: int, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The approved return's parcel arrived: resellable units back on hand, the refund fixed and sent (see the module).

    `lines` are `{line_id: seller order line id, resellable}`, one for each line of the return.
    """
    with UnitOfWork(tenant) as uow:
        seller_order, return_ = _locked(uow, return_id)
        RETURN_MOVES.check(return_.status, ReturnAction.RECEIVE)  # 409 before judging the lines
        return_lines = list(uow.session.scalars(select(ReturnLine).where(ReturnLine.return_id == return_.id)
                                                .order_by(ReturnLine.id)))
        resellable_of = _receipt_flags(lines, return_lines)
        for return_line in return_lines:
            return_line.resellable = resellable_of[return_line.seller_order_line_id]
        _restock(uow, seller_order, return_, return_lines, user_id)
        _fix_refund(uow.session, seller_order, return_, return_lines)
        return_.status = ReturnStatus.RECEIVED
        return_.received_at = utcnow()
        uow.session.flush()
        uow.add_message(REFUND_RETURN_JOB, {
            "tenant_id": uow.tenant.id, "return_id": return_.id,
            "marketplace_order_id": seller_order.marketplace_order_id,
            "amount": return_.refund_goods_amount + return_.refund_shipping_amount, "currency": seller_order.currency,
            "lines": _buyer_lines(uow.session, return_lines)}, queue="orders")
        [view] = seller_return_views(uow.session, [return_.id])
        _announce(uow, seller_order, return_, view)
        uow.commit()
    return view


def _receipt_flags(lines: Sequence[dict[str, Any]], return_lines: Sequence[ReturnLine]) -> dict[int, bool]:
    expected = {line.seller_order_line_id for line in return_lines}
    named = Counter(line["line_id"] for line in lines)
    errors: dict[str, Any] = {}
    for index, line in enumerate(lines):
        if line["line_id"] not in expected:
            errors[str(index)] = {"line_id": [f"Line {line['line_id']} is not a line of this return."]}
        elif named[line["line_id"]] > 1:
            errors[str(index)] = {"line_id": [f"Line {line['line_id']} appears more than once."]}
    missing = sorted(expected - set(named))
    if missing:
        errors["_missing"] = [f"Line {line_id} of the return is not named: say whether it is resellable."
                              for line_id in missing]
    if errors:
        raise ReceiptLinesMismatch({"lines": errors})
    return {line["line_id"]: line["resellable"] for line in lines}


def _restock(uow: UnitOfWork, seller_order: SellerOrder, return_: Return, return_lines: Sequence[ReturnLine],
             user_id: int | None) -> None:
    resellable = [line for line in return_lines if line.resellable]
    if not resellable:
        return
    variant_of = dict(uow.session.execute(select(SellerOrderLine.id, SellerOrderLine.variant_id).where(
        SellerOrderLine.id.in_([line.seller_order_line_id for line in resellable]))).all())
    note = f"Return {return_.id} of order {seller_order.marketplace_order_id}"
    record_movements(uow.session, [StockChange(variant_of[line.seller_order_line_id], line.quantity,
                                               StockReason.RETURN, note) for line in resellable], user_id)


def _fix_refund(session: Session, seller_order: SellerOrder, return_: Return, return_lines: Sequence[ReturnLine]) -> None:
    """Set the return's goods and shipping refund: its cumulative shares (see the module), under the order's lock."""
    order_lines = {line.id: line for line in session.scalars(
        select(SellerOrderLine).where(SellerOrderLine.seller_order_id == seller_order.id))}
    received_before = _units_received_before(session, seller_order.id)
    goods = 0
    for return_line in return_lines:
        order_line = order_lines[return_line.seller_order_line_id]
        before = received_before[order_line.id]
        goods += (_cumulative_share(order_line.line_total_amount, order_line.quantity, before + return_line.quantity,
                                    seller_order.currency)
                  - _cumulative_share(order_line.line_total_amount, order_line.quantity, before, seller_order.currency))
    return_.refund_goods_amount = goods
    return_.refund_shipping_amount = 0
    if _refunds_shipping(session) and seller_order.shipping_amount > 0 and seller_order.subtotal_amount > 0:
        # SUM of a bigint is a numeric: back to an int for `allocate`.
        goods_before = int(session.scalar(select(func.coalesce(func.sum(Return.refund_goods_amount), 0)).where(
            Return.seller_order_id == seller_order.id, Return.status.in_(RECEIVED_STATUSES))))
        return_.refund_shipping_amount = (
            _cumulative_share(seller_order.shipping_amount, seller_order.subtotal_amount, goods_before + goods,
                              seller_order.currency)
            - _cumulative_share(seller_order.shipping_amount, seller_order.subtotal_amount, goods_before,
                                seller_order.currency))


def _cumulative_share(total_amount: int, whole: int, part: int, currency: str) -> int:
    """The share of `total_amount` that `part` of `whole` takes, by `allocate`: 0 for none, all of it for the whole."""
    return allocate(Money(total_amount, currency), [part, whole - part])[0].amount


def _units_received_before(session: Session, seller_order_id: int) -> Counter[int]:
    """{seller order line id: units in the order's returns already received}."""
    rows = session.execute(
        select(ReturnLine.seller_order_line_id, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.seller_order_id == seller_order_id, Return.status.in_(RECEIVED_STATUSES))
        .group_by(ReturnLine.seller_order_line_id)).all()
    return Counter({line_id: int(units) for line_id, units in rows})


def _refunds_shipping(session: Session) -> bool:
    return bool(session.scalar(select(FulfilmentSettings.refund_shipping_on_return)
                               .where(FulfilmentSettings.id == 1)))


def _buyer_lines(session: Session, return_lines: Sequence[ReturnLine]) -> list[dict[str, int]]:
    """The return's lines named by the buyer's order line ids, as refunds name them."""
    order_line_of = dict(session.execute(select(SellerOrderLine.id, SellerOrderLine.marketplace_order_line_id).where(
        SellerOrderLine.id.in_([line.seller_order_line_id for line in return_lines]))).all())
    return [{"line_id": order_line_of[line.seller_order_line_id], "quantity": line.quantity} for line in return_lines]


def _locked(uow: UnitOfWork, return_id: int) -> tuple[SellerOrder, Return]:
    """The return's seller order, then the return, locked in that order (tenants/locks.py)."""
    seller_order_id = uow.session.scalar(select(Return.seller_order_id).where(Return.id == return_id))
    if seller_order_id is None:
        raise ReturnNotFound()
    seller_order = lock_seller_order(uow, seller_order_id)
    return_ = lock_row(uow.session, Return, return_id)
    if seller_order is None or return_ is None:
        raise ReturnNotFound()
    return seller_order, return_


# Jobs: the refund in the control database, and its id back to the seller

def refund_return(tenant_id: int, return_id: int, marketplace_order_id: int, amount: int, currency: str,
                  lines: list[dict[str, int]]) -> bool:
    """Refund a received return (one control-database transaction); True if a refund is recorded for it.

    The refund's key names the return, so a rerun finds the refund made the
    first time; the message back to the seller and the buyer's notice are
    written again, and do nothing twice.
    """
    tenant = get_tenant_by_id(tenant_id)
    with UnitOfWork(on_behalf_of=tenant) as uow:
        if amount == 0:
            refund_id = None  # units sold for nothing: the return is settled with nothing to pay back
        else:
            try:
                refund_id = record_refund(uow, marketplace_order_id, tenant_id, amount, lines, f"Return {return_id}",
                                          f"return:{tenant_id}:{return_id}").id
            except RefundExceedsRemaining:
                _report_unrefundable(uow, tenant_id, return_id, marketplace_order_id)
                uow.commit()
                return False
        uow.add_message(RECORD_RETURN_REFUND_JOB, {"tenant_id": tenant_id, "return_id": return_id,
                                                   "refund_id": refund_id}, queue="orders")
        _notify_buyer(uow, tenant_id, marketplace_order_id, return_id, ReturnStatus.REFUNDED,
                      f"{format_amount(Money(amount, currency))} {currency} is on its way back to you.")
        uow.commit()
    return True


def _report_unrefundable(uow: UnitOfWork, tenant_id: int, return_id: int, marketplace_order_id: int) -> None:
    """Less is left of the seller's part than the return asks (the seller refunded these units by hand, say):
    the return stays `received`, and the seller's owners and managers are told to settle it themselves."""
    log.warning("a received return could not be refunded: less is left to refund",
                extra={"tenant_id": tenant_id, "return_id": return_id, "marketplace_order_id": marketplace_order_id})
    _notify_members(uow, tenant_id, return_id, "return_refund_failed",
                    f"Return {return_id} of order {marketplace_order_id} was not refunded",
                    f"Less is left to refund of order {marketplace_order_id} than return {return_id} asks: "
                    "refund the buyer yourself if they are still owed money.")


def record_return_refund(tenant_id: int, return_id: int, refund_id: int | None) -> bool:
    """Record the refund's id on the return and move it to `refunded`; False if it was already (a rerun)."""
    with UnitOfWork(get_tenant_by_id(tenant_id)) as uow:
        seller_order, return_ = _locked(uow, return_id)
        if return_.status is not ReturnStatus.RECEIVED:
            return False
        return_.status = RETURN_MOVES.check(return_.status, ReturnAction.REFUND)
        return_.refund_id = refund_id
        return_.refunded_at = utcnow()
        uow.session.flush()
        _announce(uow, seller_order, return_)
        uow.commit()
    return True


def notify_return(tenant_id: int, return_id: int, marketplace_order_id: int, status: str, reason: str) -> None:
    """Tell the seller's owners and managers of a new return, or its buyer of the seller's decision (once each)."""
    with UnitOfWork() as uow:
        if status == ReturnStatus.REQUESTED.value:
            _notify_members(uow, tenant_id, return_id, "return_requested",
                            f"Return requested on order {marketplace_order_id}",
                            f"The buyer asks to return units of order {marketplace_order_id} (return {return_id}): "
                            f"{reason}")
        else:
            _notify_buyer(uow, tenant_id, marketplace_order_id, return_id, ReturnStatus(status), reason)
        uow.commit()


def _announce(uow: UnitOfWork, seller_order: SellerOrder, return_: Return,
              seller_view: dict[str, Any] | None = None) -> None:
    """The seller's webhook endpoints hear of the return's new status (`return.<status>`), with the return as its
    seller sees it (`seller_view`, when the caller has read it already)."""
    if seller_view is None:
        [seller_view] = seller_return_views(uow.session, [return_.id])
    publish(uow, f"return.{return_.status.value}", seller_order, {"return": seller_view})


def _notify(uow: UnitOfWork, return_: Return, seller_order: SellerOrder, status: ReturnStatus) -> None:
    reason = return_.reason if status is ReturnStatus.REQUESTED else return_.decision_reason
    uow.add_message(NOTIFY_RETURN_JOB, {
        "tenant_id": uow.tenant.id, "return_id": return_.id, "marketplace_order_id": seller_order.marketplace_order_id,
        "status": status.value, "reason": reason}, queue="orders")


BUYER_NOTICES = {
    ReturnStatus.APPROVED: ("approved", "Send the units back to the seller; you are refunded once they arrive."),
    ReturnStatus.REJECTED: ("rejected", "The seller's reason: {reason}"),
    ReturnStatus.REFUNDED: ("refunded", "{reason}"),
}


def _notify_buyer(uow: UnitOfWork, tenant_id: int, marketplace_order_id: int, return_id: int, status: ReturnStatus,
                  reason: str) -> None:
    buyer_user_id = uow.session.scalar(select(MarketplaceOrder.buyer_user_id)
                                       .where(MarketplaceOrder.id == marketplace_order_id))
    seller_name = uow.session.scalar(select(OrderSellerPart.seller_name).where(
        OrderSellerPart.order_id == marketplace_order_id, OrderSellerPart.tenant_id == tenant_id))
    if buyer_user_id is None:
        return
    past_tense, body = BUYER_NOTICES[status]
    record_notification(uow, user_id=buyer_user_id, kind=f"return_{status.value}", tenant_id=tenant_id,
                        dedupe_key=f"return_{status.value}:{tenant_id}:{return_id}",
                        subject=f"Order {marketplace_order_id}: your return to {seller_name} was {past_tense}",
                        body=body.format(reason=reason))


def _notify_members(uow: UnitOfWork, tenant_id: int, return_id: int, kind: str, subject: str, body: str) -> None:
    notify_order_handlers(uow, tenant_id, kind=kind, dedupe_key=f"{kind}:{tenant_id}:{return_id}",
                          subject=subject, body=body)


def seller_return_views(session: Session, return_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Returns as their seller sees them (lines named by seller order line ids), in the order of `return_ids`."""
    returns, lines = _returns_with_lines(session, return_ids)
    return [{**_return_fields(return_, order_number),
             "refund_id": return_.refund_id,
             "lines": [{"line_id": line.seller_order_line_id, "order_line_id": order_line_id, "sku": sku,
                        "title": title, "quantity": line.quantity, "resellable": line.resellable}
                       for line, order_line_id, sku, title in lines if line.return_id == return_.id]}
            for return_, order_number in returns]


def buyer_return_views(session: Session, return_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Returns as their buyer sees them: lines named by the buyer's order line ids."""
    returns, lines = _returns_with_lines(session, return_ids)
    return [{**_return_fields(return_, order_number),
             "lines": [{"line_id": order_line_id, "quantity": line.quantity}
                       for line, order_line_id, _, _ in lines if line.return_id == return_.id]}
            for return_, order_number in returns]


def returns_of(session: Session, seller_order_id: int) -> list[dict[str, Any]]:
    """A seller order's returns, oldest first, as the buyer sees them (in a tenant-bound session)."""
    ids = session.scalars(select(Return.id).where(Return.seller_order_id == seller_order_id).order_by(Return.id)).all()
    return buyer_return_views(session, ids)


def _returns_with_lines(session: Session, return_ids: Sequence[int]) -> tuple[list, list]:
    """(return, order number) rows in the order of `return_ids`, and their lines: two queries whatever their number."""
    if not return_ids:
        return [], []
    found = {row.Return.id: row for row in session.execute(
        select(Return, SellerOrder.marketplace_order_id).join(SellerOrder, SellerOrder.id == Return.seller_order_id)
        .where(Return.id.in_(return_ids))).all()}
    lines = session.execute(
        select(ReturnLine, SellerOrderLine.marketplace_order_line_id, SellerOrderLine.sku, SellerOrderLine.title)
        .join(SellerOrderLine, SellerOrderLine.id == ReturnLine.seller_order_line_id)
        .where(ReturnLine.return_id.in_(return_ids)).order_by(ReturnLine.id)).all()
    return [tuple(found[return_id]) for return_id in return_ids if return_id in found], list(lines)


def _return_fields(return_: Return, order_number: int) -> dict[str, Any]:
    refund_amount = None if return_.refund_goods_amount is None else \
        return_.refund_goods_amount + return_.refund_shipping_amount
    return {"id": return_.id, "seller_order_id": return_.seller_order_id, "order_number": order_number,
            "status": return_.status.value, "reason": return_.reason, "decision_reason": return_.decision_reason,
            "refund_amount": refund_amount, "refund_goods_amount": return_.refund_goods_amount,
            "refund_shipping_amount": return_.refund_shipping_amount,
            "created_at": _iso(return_.created_at), "decided_at": _iso(return_.decided_at),
            "received_at": _iso(return_.received_at), "refunded_at": _iso(return_.refunded_at)}


def _iso(moment) -> str | None:
    """Views hold JSON values (the buyer's order view is JSON through and through)."""
    return moment.isoformat() if moment else None
