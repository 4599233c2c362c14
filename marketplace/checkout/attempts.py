"""Checkout attempts: one per (buyer, Idempotency-Key), the saga's log and its stored response.

The attempt row is written before anything is reserved; its unique key makes
concurrent retries of one checkout wait for the first insert and then find
it: the same body gets the stored response (or 409 `in_progress` while the
first is still running), another body 409 `idempotency_key_reused`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.checkout.models import AttemptStatus, CheckoutAttempt, MarketplaceOrder
from marketplace.core.errors import Conflict
from tenants.uow import UnitOfWork


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used for a checkout with another body; use a new key.")


class CheckoutInProgress(Conflict):
    code = "in_progress"

    def __init__(self) -> None:
        super().__init__("A checkout with this Idempotency-Key is still running; retry in a moment.",
                         headers={"Retry-After": "1"})


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class NewAttempt:
    id: int
    # Taken from the orders' sequence before the order row exists: the reservations are keyed by it.
    order_id: int
    # The database's clock plus the reserve budget: no seller reserves for this attempt after it.
    reserve_deadline: datetime


def insert_attempt(session: Session, *, buyer_user_id: int, idempotency_key: str, body_hash: str,
                   seller_tenant_ids: list[int], reserve_seconds: int) -> NewAttempt | None:
    """The new attempt (one statement), or None when this key was used before (`earlier_outcome` answers)."""
    order_sequence = MarketplaceOrder.__table__.fullname
    row = session.execute(
        insert(CheckoutAttempt)
        .values(buyer_user_id=buyer_user_id, idempotency_key=idempotency_key, request_hash=body_hash,
                order_id=func.nextval(func.pg_get_serial_sequence(order_sequence, "id")),
                status=AttemptStatus.RESERVING, seller_tenant_ids=seller_tenant_ids,
                reserve_deadline=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, reserve_seconds))
        .on_conflict_do_nothing(constraint="checkout_attempts_key")
        .returning(CheckoutAttempt.id, CheckoutAttempt.order_id, CheckoutAttempt.reserve_deadline)
    ).first()
    return NewAttempt(*row) if row else None


def earlier_outcome(buyer_user_id: int, idempotency_key: str, body_hash: str) -> StoredResponse | None:
    """What a checkout answers when its key was used before; raises while the first is still running.

    None: the first attempt completed but its response is not stored yet (its
    payment intent was not created): the caller finishes it.
    """
    with UnitOfWork() as uow:
        attempt = uow.session.scalar(select(CheckoutAttempt).where(
            CheckoutAttempt.buyer_user_id == buyer_user_id, CheckoutAttempt.idempotency_key == idempotency_key))
        uow.session.expunge_all()
    if attempt is None:
        # Deleted after a transient failure: the caller may start afresh.
        raise CheckoutInProgress()
    if attempt.request_hash != body_hash:
        raise IdempotencyKeyReused()
    if attempt.response_status is not None:
        return StoredResponse(attempt.response_status, attempt.response_body or {})
    if attempt.status == AttemptStatus.RESERVING:
        raise CheckoutInProgress()
    return None


def key_used(session: Session, buyer_user_id: int, idempotency_key: str) -> bool:
    return session.scalar(select(CheckoutAttempt.id).where(
        CheckoutAttempt.buyer_user_id == buyer_user_id, CheckoutAttempt.idempotency_key == idempotency_key)) is not None


def attempt_by_key(buyer_user_id: int, idempotency_key: str) -> CheckoutAttempt | None:
    with UnitOfWork() as uow:
        attempt = uow.session.scalar(select(CheckoutAttempt).where(
            CheckoutAttempt.buyer_user_id == buyer_user_id, CheckoutAttempt.idempotency_key == idempotency_key))
        uow.session.expunge_all()
    return attempt


def fail_attempt(attempt_id: int, response: StoredResponse) -> None:
    """Record the refusal an attempt ended in (its reservations already released)."""
    with UnitOfWork() as uow:
        uow.session.execute(
            update(CheckoutAttempt)
            .where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == AttemptStatus.RESERVING)
            .values(status=AttemptStatus.FAILED, response_status=response.status, response_body=response.body,
                    updated_at=func.now()))
        uow.commit()


def forget_attempt(attempt_id: int) -> None:
    """Drop an attempt undone after an unexpected failure, so that a retry with its key starts afresh."""
    with UnitOfWork() as uow:
        uow.session.execute(delete(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id,
                                                          CheckoutAttempt.status == AttemptStatus.RESERVING))
        uow.commit()


def store_response(session: Session, attempt_id: int, response: StoredResponse) -> None:
    session.execute(update(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id)
                    .values(response_status=response.status, response_body=response.body, updated_at=func.now()))
