"""Checkout: the buyer's cart becomes one marketplace order and one payment, as a saga across databases.

A unit of work is bound to at most one tenant, and tenants live on several
PostgreSQL servers, so checkout is a chain of single-database transactions:

1. control database: the attempt and its Idempotency-Key, with an order id
   taken in advance and the sellers it will reserve at (`attempts`);
2. seller by seller, in tenant id order: one tenant-bound transaction re-reads
   prices and reserves stock under the variants' row locks (`reservations`);
   any refusal releases what the earlier sellers reserved and answers 409;
3. control database: the order with its frozen lines, seller parts and a
   pending payment, the checked-out cart lines removed, the attempt completed;
4. the gateway: one payment intent for the total (key `pi:{order}`), then its
   id and the stored response in the control database.

A crash before 3 leaves an attempt `reserving`: the recovery job releases its
reservations once its reserve deadline has passed (after which no seller
database accepts a reservation for it). A crash after 3 leaves a payment
without an intent: the recovery job (or the retried request) creates it with
the same key. Nothing half made survives either way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from billing.gateway.port import GatewayError
from billing.gateway.registry import current_gateway
from billing.money import Money
from marketplace.addresses.models import Address
from marketplace.cart.models import Cart
from marketplace.cart.services import buyer_cart_lines, remove_lines
from marketplace.checkout import attempts
from marketplace.checkout.attempts import StoredResponse
from marketplace.checkout.models import AttemptStatus, CheckoutAttempt, Payment
from marketplace.checkout.orders import OrderDraft, order_view, write_order
from marketplace.checkout.reservations import (LinesUnavailable, NoShippingOption, ReservationDeadlinePassed,
                                               SellerReservation, WantedLine, release, reserve)
from marketplace.core.errors import ApiError, Conflict, ValidationFailed
from tenants.locks import lock_row
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)


class CartEmpty(Conflict):
    code = "cart_empty"

    def __init__(self) -> None:
        super().__init__("Your cart is empty: add products before checking out.")


class PaymentGatewayUnavailable(ApiError):
    status, code = 503, "payment_gateway_unavailable"

    def __init__(self) -> None:
        super().__init__("The payment processor did not answer; your order is kept. Retry with the same "
                         "Idempotency-Key (or pay the order) in a moment.", headers={"Retry-After": "5"})


class NoShippingAddress(ValidationFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message, errors={"shipping_address_id": [message]})


@dataclass(frozen=True)
class CheckoutRequest:
    shipping_address_id: int | None = None
    # Seller slug → the chosen shipping rate; a seller left out gets its first option.
    shipping_rate_ids: Mapping[str, int] | None = None
    # The total the buyer agreed to; if prices moved since, 409 `total_changed` and nothing is bought.
    expected_total_amount: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"shipping_address_id": self.shipping_address_id,
                "shipping_rate_ids": dict(sorted((self.shipping_rate_ids or {}).items())),
                "expected_total_amount": self.expected_total_amount}


@dataclass(frozen=True)
class Plan:
    """What the attempt's control transaction read: the cart by seller, the address, the order id."""

    attempt_id: int
    order_id: int
    deadline: Any
    currency: str
    tenants: list[TenantRef]
    seller_names: dict[int, str]
    lines_by_tenant: dict[int, list[WantedLine]]
    cart_id: int
    cart_line_ids: list[int]
    shipping_address: dict[str, Any]


@dataclass(frozen=True)
class Settings:
    payment_minutes: int
    reserve_seconds: int


def check_out(buyer_user_id: int, idempotency_key: str, request: CheckoutRequest, settings: Settings) -> StoredResponse:
    """Run (or replay) the checkout of the buyer's cart under `idempotency_key`; the response to send."""
    body_hash = attempts.request_hash(request.as_json())
    plan = _open_attempt(buyer_user_id, idempotency_key, body_hash, request, settings)
    if plan is None:
        earlier = attempts.earlier_outcome(buyer_user_id, idempotency_key, body_hash)
        if earlier is not None:
            return earlier
        attempt = attempts.attempt_by_key(buyer_user_id, idempotency_key)
        return finish_payment(attempt.order_id, attempt.id)
    reservations = _reserve_everywhere(plan, request)
    if isinstance(reservations, StoredResponse):
        return reservations
    refusal = _price_check(plan, reservations, request)
    if refusal is not None:
        return refusal
    total = _write_order(plan, reservations, settings)
    if total is None:
        _release_all(plan.order_id, [reservation.tenant for reservation in reservations])
        return attempts.earlier_outcome(buyer_user_id, idempotency_key, body_hash) or StoredResponse(409, {})
    return finish_payment(plan.order_id, plan.attempt_id, new_payment=total)


def finish_payment(order_id: int, attempt_id: int | None, new_payment: Money | None = None) -> StoredResponse:
    """Create the order's payment intent if it has none (key `pi:{order}`) and store the checkout's response.

    `new_payment`: the amount of a payment just written without an intent
    (the checkout itself), which spares reading it back.
    """
    amount_without_intent = new_payment
    if amount_without_intent is None:
        with UnitOfWork() as uow:
            payment = uow.session.scalar(select(Payment).where(Payment.order_id == order_id))
            if payment.gateway_payment_id is None:
                amount_without_intent = Money(payment.amount, payment.currency)
    intent = None
    if amount_without_intent is not None:
        try:
            intent = current_gateway().create_payment_intent(
                amount=amount_without_intent, transfer_group=f"order_{order_id}",
                idempotency_key=f"pi:{order_id}", metadata={"order_id": str(order_id)})
        except GatewayError as error:
            # The order stands; the recovery job (or a retry) creates the intent with the same key.
            log.warning("the gateway refused or missed a payment intent", extra={"order_id": order_id,
                                                                                 "gateway_code": error.code})
            raise PaymentGatewayUnavailable() from error
    with UnitOfWork() as uow:
        if intent is not None:
            uow.session.execute(
                update(Payment).where(Payment.order_id == order_id, Payment.gateway_payment_id.is_(None))
                .values(gateway_payment_id=intent.id, client_secret=intent.client_secret,
                        status=intent.status.value, updated_at=func.now()))
        response = StoredResponse(201, order_view(uow.session, order_id))
        if attempt_id is not None:
            attempts.store_response(uow.session, attempt_id, response)
        uow.commit()
    return response


def _open_attempt(buyer_user_id: int, idempotency_key: str, body_hash: str, request: CheckoutRequest,
                  settings: Settings) -> Plan | None:
    """Step 1; None if the key was used before. Refusals found here (empty cart, no address) change nothing."""
    with UnitOfWork() as uow:
        session = uow.session
        cart_lines = buyer_cart_lines(session, buyer_user_id)
        if not cart_lines:
            if attempts.key_used(session, buyer_user_id, idempotency_key):
                # A retry: the first attempt emptied the cart, and its stored outcome is the answer.
                return None
            raise CartEmpty()
        address = _shipping_address(session, buyer_user_id, request.shipping_address_id)
        tenants = {tenant.id: tenant for tenant in session.scalars(
            select(Tenant).where(Tenant.id.in_({line.tenant_id for line in cart_lines})).order_by(Tenant.id))}
        attempt = attempts.insert_attempt(
            session, buyer_user_id=buyer_user_id, idempotency_key=idempotency_key, body_hash=body_hash,
            seller_tenant_ids=sorted(tenants), reserve_seconds=settings.reserve_seconds)
        if attempt is None:
            return None
        plan = Plan(
            attempt_id=attempt.id, order_id=attempt.order_id, deadline=attempt.reserve_deadline,
            currency=session.get(Cart, cart_lines[0].cart_id).currency, cart_id=cart_lines[0].cart_id,
            tenants=[tenant.ref() for tenant in tenants.values()],
            seller_names={tenant.id: tenant.display_name for tenant in tenants.values()},
            lines_by_tenant=_wanted_by_tenant(cart_lines), cart_line_ids=[line.id for line in cart_lines],
            shipping_address=address)
        uow.commit()
    return plan


def _reserve_everywhere(plan: Plan, request: CheckoutRequest) -> list[SellerReservation] | StoredResponse:
    """Step 2: every seller's reservation, or the 409 that ended the attempt (everything released)."""
    reserved: list[SellerReservation] = []
    rate_ids = request.shipping_rate_ids or {}
    try:
        for tenant in plan.tenants:
            if tenant.status != TenantStatus.ACTIVE:
                raise LinesUnavailable(tenant, [])
            reserved.append(reserve(
                tenant, plan.order_id, plan.lines_by_tenant[tenant.id], currency=plan.currency,
                destination_country=plan.shipping_address["country"],
                shipping_rate_id=rate_ids.get(tenant.slug), deadline=plan.deadline))
    except (LinesUnavailable, NoShippingOption, ReservationDeadlinePassed) as refusal:
        _release_all(plan.order_id, [reservation.tenant for reservation in reserved] + [refusal_tenant(refusal)])
        response = _refusal_response(plan, refusal)
        attempts.fail_attempt(plan.attempt_id, response)
        return response
    except BaseException:
        # Unexpected (a database down, a tenant moving): undo, and let a retry with this key start afresh.
        _release_all(plan.order_id, plan.tenants)
        attempts.forget_attempt(plan.attempt_id)
        raise
    return reserved


def refusal_tenant(refusal: Exception) -> TenantRef | None:
    """The seller whose step refused (its own transaction rolled back; released again for certainty)."""
    return getattr(refusal, "tenant", None)


def _price_check(plan: Plan, reservations: list[SellerReservation], request: CheckoutRequest) -> StoredResponse | None:
    if request.expected_total_amount is None:
        return None
    total = sum(reservation.subtotal_amount + reservation.shipping.amount for reservation in reservations)
    if total == request.expected_total_amount:
        return None
    _release_all(plan.order_id, [reservation.tenant for reservation in reservations])
    response = StoredResponse(409, {
        "code": "total_changed",
        "message": f"The total is now {total}, not {request.expected_total_amount}: prices or shipping changed. "
                   "Review your cart and check out again.",
        "errors": {"expected_total_amount": [f"The total is now {total}."]}})
    attempts.fail_attempt(plan.attempt_id, response)
    return response


def _write_order(plan: Plan, reservations: list[SellerReservation], settings: Settings) -> Money | None:
    """Step 3; the order's total, or None if the recovery job ended the attempt meanwhile (then its
    reservations must go)."""
    with UnitOfWork() as uow:
        attempt = lock_row(uow.session, CheckoutAttempt, plan.attempt_id)
        if attempt is None or attempt.status != AttemptStatus.RESERVING:
            return None
        draft = OrderDraft(
            order_id=plan.order_id, buyer_user_id=attempt.buyer_user_id, currency=plan.currency,
            shipping_address=plan.shipping_address, reservations=reservations, seller_names=plan.seller_names,
            gateway=current_gateway().name)
        write_order(uow.session, draft, settings.payment_minutes)
        remove_lines(uow.session, plan.cart_id, plan.cart_line_ids)
        attempt.status = AttemptStatus.COMPLETED
        uow.commit()
    return Money(draft.total_amount, draft.currency)


def _release_all(order_id: int, tenants: list[TenantRef | None]) -> None:
    for tenant in tenants:
        if tenant is not None:
            release(tenant, order_id)


def _refusal_response(plan: Plan, refusal: Exception) -> StoredResponse:
    if isinstance(refusal, NoShippingOption):
        return StoredResponse(409, {
            "code": "no_shipping_option",
            "message": f"{plan.seller_names[refusal.tenant.id]} does not ship these items to "
                       f"{plan.shipping_address['country']} (or not with the chosen rate).",
            "errors": {f"shipping_rate_ids.{refusal.tenant.slug}": ["No such shipping option for this address."]}})
    if isinstance(refusal, ReservationDeadlinePassed):
        return StoredResponse(409, {"code": "checkout_timed_out",
                                    "message": "Checkout took too long and was undone; try again with a new key."})
    assert isinstance(refusal, LinesUnavailable)
    seller = plan.seller_names[refusal.tenant.id]
    if not refusal.faults:
        errors = {f"lines.{line.cart_line_id}": [f"{seller} is not selling at the moment."]
                  for line in plan.lines_by_tenant[refusal.tenant.id]}
    else:
        errors = {f"lines.{fault.cart_line_id}": [_fault_message(fault)] for fault in refusal.faults}
    return StoredResponse(409, {"code": "lines_unavailable",
                                "message": f"Some lines from {seller} cannot be bought now; nothing was reserved.",
                                "errors": errors})


def _fault_message(fault: Any) -> str:
    if fault.reason == "insufficient_stock":
        return f"Only {fault.available} available ({fault.requested} in your cart)."
    return "No longer for sale."


def _wanted_by_tenant(cart_lines: list[Any]) -> dict[int, list[WantedLine]]:
    wanted: dict[int, list[WantedLine]] = {}
    for line in cart_lines:
        wanted.setdefault(line.tenant_id, []).append(WantedLine(line.id, line.variant_id, line.quantity))
    return wanted


def _shipping_address(session: Session, buyer_user_id: int, address_id: int | None) -> dict[str, Any]:
    condition = Address.id == address_id if address_id is not None else Address.is_default
    address = session.scalar(select(Address).where(Address.user_id == buyer_user_id, condition))
    if address is None:
        raise NoShippingAddress("You have no address with this id." if address_id is not None
                                else "Add a shipping address (or choose one) before checking out.")
    return {"name": address.name, "line1": address.line1, "line2": address.line2, "city": address.city,
            "region": address.region, "postal_code": address.postal_code, "country": address.country,
            "phone": address.phone}
