"""Moving each seller's share of an order to its connected account, and taking back what it no longer earns.

Separate charges and transfers (billing/postings.py): the buyer's payment
sits on the platform's balance; once a seller's part is delivered and held
(the caller, marketplace.payouts.transfers, decides when), one transfer per
(order, seller) moves what the seller is owed for that order *now*:

    owed = its seller_payable postings for the order (settlement, less refunds and lost disputes,
           plus what became a receivable) − its connected_balance postings for the order (transfers
           less reversals)

A receivable the seller owes is netted from it first (postings.netting,
posted with the order); an order whose share is below zero by then (a part
refunded whole before its transfer: the seller still bears its share of the
processor's fee) transfers nothing and makes that a receivable instead.
Both amounts are fixed in `seller_transfers` before the gateway is asked,
in one commit, so a job retried after a crash asks
again with the same amount under the same key and the gateway answers the
first transfer back: never two, never a lost one.

After the transfer, a refund or a lost dispute the seller bears leaves its
owed amount below zero: `recover_seller_share` reverses the shortfall from
the transfer (never more than is left of it) and records what cannot be
reversed (the gateway refuses: the money was paid out) as a receivable.
Working from the ledger's shortfall, not from the amount a caller names, a
recovery whose refund was already counted in the transfer takes nothing,
and two recoveries at once never take the same cents twice.

Every function here writes the control database only, and calls the
gateway between its commits, never inside one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from billing import ledger, postings
from billing.gateway.port import DisputeStatus, GatewayError, PaymentGateway, Transfer, WebhookEvent
from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction, TransactionKind
from billing.money import Money
from billing.payout_account_models import PayoutAccount
from billing.transfer_models import OrderDispute, RecoveryStatus, SellerTransfer, TransferRecovery, TransferStatus
from billing.webhooks import handles
from tenants.db import utcnow
from tenants.locks import lock_first, lock_row
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

# Statuses of a dispute still being decided: the order's transfers wait for the outcome.
OPEN_DISPUTE_STATUSES = frozenset({DisputeStatus.warning_needs_response.value, DisputeStatus.warning_under_review.value,
                                   DisputeStatus.needs_response.value, DisputeStatus.under_review.value})
# The gateway's answers to a reversal it will never make: the connected account's money left it.
UNREVERSIBLE_CODES = frozenset({"balance_insufficient", "amount_too_large"})


def transfer_key(order_id: int, tenant_id: int) -> str:
    return f"tr:{order_id}:{tenant_id}"


class TransferInFlight(RuntimeError):
    """The order's transfer to the seller was asked of the gateway and not recorded yet; try again later."""


@dataclass(frozen=True)
class _Claim:
    """A transfer to ask of the gateway: its amount was fixed by an earlier commit."""

    transfer_id: int
    amount: Money
    destination: str


def transfer_seller_share(gateway: PaymentGateway, order_id: int, tenant_id: int, currency: str,
                          payment_intent_id: str) -> SellerTransfer | None:
    """Transfer what the seller is owed for the order, once; the transfer row, or None if it cannot be paid yet.

    None when the seller has no connected account with payouts enabled (its
    share stays payable until one is). Raises GatewayError when the gateway
    refuses; the row stays pending and the next run asks again, same key.
    """
    claim = _claim_transfer(order_id, tenant_id, currency)
    if claim is None or isinstance(claim, SellerTransfer):
        return claim
    source_charge = gateway.retrieve_payment_intent(payment_intent_id).latest_charge
    answer = gateway.create_transfer(
        amount=claim.amount, destination=claim.destination, source_transaction=source_charge,
        transfer_group=f"order_{order_id}", idempotency_key=transfer_key(order_id, tenant_id),
        metadata={"order_id": str(order_id), "tenant_id": str(tenant_id)})
    with UnitOfWork() as uow:
        ledger.post(uow, TransactionKind.TRANSFER, transfer_key(order_id, tenant_id),
                    postings.transfer(tenant_id, claim.amount), description=f"Transfer {answer.id}",
                    order_id=order_id, tenant_id=tenant_id, gateway_source=answer.id)
        uow.session.execute(update(SellerTransfer)
                            .where(SellerTransfer.id == claim.transfer_id,
                                   SellerTransfer.status == TransferStatus.PENDING)
                            .values(status=TransferStatus.TRANSFERRED, gateway_transfer_id=answer.id,
                                    transferred_at=utcnow()))
        transfer = uow.session.get(SellerTransfer, claim.transfer_id, populate_existing=True)
        uow.commit()
    log.info("seller share transferred", extra={"order_id": order_id, "tenant_id": tenant_id,
                                                "amount": claim.amount.amount, "transfer_id": answer.id})
    return transfer


def _claim_transfer(order_id: int, tenant_id: int, currency: str) -> _Claim | SellerTransfer | None:
    """Fix the transfer's amount (netting any receivable first), or find the one fixed before."""
    with UnitOfWork() as uow:
        session = uow.session
        # The seller's account row serializes its transfers: two never net the same receivable.
        account = lock_row(session, PayoutAccount, tenant_id)
        if account is None or not account.payouts_enabled:
            return None
        destination = account.gateway_account_id
        transfer = _transfer_of(session, order_id, tenant_id)
        if transfer is None:
            if _dispute_open(session, order_id):
                return None  # opened since the caller chose this share: it waits for the outcome
            transfer = _fix_amount(uow, order_id, tenant_id, currency)
            uow.commit()
        session.refresh(transfer)
        session.expunge(transfer)
    if transfer.status != TransferStatus.PENDING:
        return transfer
    # A pending row is a transfer fixed earlier and maybe made already: the same key asks again, same amount.
    return _Claim(transfer.id, Money(transfer.amount, transfer.currency), destination)


def _fix_amount(uow: UnitOfWork, order_id: int, tenant_id: int, currency: str) -> SellerTransfer:
    owed = owed_for_order(uow.session, order_id, tenant_id, currency)
    if owed.amount < 0:
        # The seller bears more of the order than it earned (a part refunded whole before its transfer still
        # leaves it its share of the processor's fee): with no transfer to reverse, it owes that as a
        # receivable, netted from later earnings, rather than the order's payable holding it out of reach.
        ledger.post(uow, TransactionKind.TRANSFER, f"owed:{order_id}:{tenant_id}",
                    postings.receivable(tenant_id, -owed), description="Owed by the seller: its share is below zero",
                    order_id=order_id, tenant_id=tenant_id)
        owed = Money.zero(currency)
    receivable = ledger.balance(uow.session, ledger.seller_receivable(tenant_id), currency)
    netted = min(owed, max(receivable, Money.zero(currency)))
    if netted.amount > 0:
        ledger.post(uow, TransactionKind.TRANSFER, f"net:{order_id}:{tenant_id}", postings.netting(tenant_id, netted),
                    description="A receivable netted from the order's share", order_id=order_id,
                    tenant_id=tenant_id)
    amount = owed - netted
    transfer = SellerTransfer(order_id=order_id, tenant_id=tenant_id, currency=currency, amount=amount.amount,
                              netted_amount=netted.amount,
                              status=TransferStatus.PENDING if amount.amount > 0 else TransferStatus.NOTHING_OWED)
    uow.session.add(transfer)
    uow.session.flush()
    return transfer


def _dispute_open(session: Session, order_id: int) -> bool:
    return session.scalar(select(exists().where(OrderDispute.order_id == order_id,
                                                OrderDispute.status.in_(OPEN_DISPUTE_STATUSES))))


def owed_for_order(session: Session, order_id: int, tenant_id: int, currency: str) -> Money:
    """What the seller is owed for the order and not transferred yet (below zero: it was overpaid that much)."""
    payable = _order_balance(session, AccountKind.SELLER_PAYABLE, order_id, tenant_id, currency)
    transferred = _order_balance(session, AccountKind.CONNECTED_BALANCE, order_id, tenant_id, currency)
    return payable - transferred


def _order_balance(session: Session, kind: AccountKind, order_id: int, tenant_id: int, currency: str) -> Money:
    signed_total = session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.order_id == order_id, LedgerAccount.kind == kind,
               LedgerAccount.tenant_id == tenant_id, LedgerAccount.currency == currency))
    return Money(int(signed_total) * kind.normal_side.value, currency)


def _transfer_of(session: Session, order_id: int, tenant_id: int, lock: bool = False) -> SellerTransfer | None:
    query = select(SellerTransfer).where(SellerTransfer.order_id == order_id, SellerTransfer.tenant_id == tenant_id)
    if lock:
        return lock_first(session, query)
    return session.scalar(query)


# Taking a transferred share back

def transfer_currency(order_id: int, tenant_id: int) -> str | None:
    """The currency of the order's transfer to the seller; None if there is none."""
    with UnitOfWork() as uow:
        return uow.session.scalar(select(SellerTransfer.currency).where(SellerTransfer.order_id == order_id,
                                                                        SellerTransfer.tenant_id == tenant_id))


@dataclass(frozen=True)
class _Recovery:
    key: str
    amount: Money
    reverse_amount: Money
    gateway_transfer_id: str | None


def recover_seller_share(gateway: PaymentGateway, order_id: int, tenant_id: int, amount: Money, key: str) -> None:
    """Take back, up to `amount`, what the seller was transferred for the order and no longer earns.

    `key` names what is recovered (`refund:{id}`, `dispute:{id}`): the
    reversal's idempotency key and ledger id are `rev:{key}:{seller}`, a
    receivable's `recv:{key}:{seller}`. Nothing if the share was not
    transferred yet (the transfer will be smaller); TransferInFlight (the job
    is retried) while the transfer is being made.
    """
    recovery = _claim_recovery(order_id, tenant_id, amount, f"rev:{key}:{tenant_id}")
    if recovery is None:
        return
    reversal_id, refused = None, False
    if recovery.reverse_amount.amount > 0:
        try:
            reversal_id = gateway.create_transfer_reversal(
                recovery.gateway_transfer_id, amount=recovery.reverse_amount, idempotency_key=recovery.key,
                metadata={"order_id": str(order_id), "tenant_id": str(tenant_id)}).id
        except GatewayError as error:
            if error.code not in UNREVERSIBLE_CODES:
                raise
            log.info("a transfer could not be reversed: the seller owes it", extra={
                "order_id": order_id, "tenant_id": tenant_id, "code": error.code})
            refused = True
    reversed_amount = Money.zero(amount.currency) if refused else recovery.reverse_amount
    gateway_amount_reversed = (gateway.retrieve_transfer(recovery.gateway_transfer_id).amount_reversed.amount
                               if reversal_id else None)
    _record_recovery(recovery, order_id, tenant_id, reversed_amount, reversal_id, gateway_amount_reversed)


def _claim_recovery(order_id: int, tenant_id: int, amount: Money, key: str) -> _Recovery | None:
    with UnitOfWork() as uow:
        session = uow.session
        recorded = session.get(TransferRecovery, key)
        if recorded is None:
            # The seller's account row first, as a transfer's claim takes it: a claim that read the ledger before
            # this refund was posted has committed its transfer row by the time this looks for it.
            lock_row(session, PayoutAccount, tenant_id)
            transfer = _transfer_of(session, order_id, tenant_id, lock=True)
            if transfer is None:
                return None
            if transfer.status == TransferStatus.PENDING:
                raise TransferInFlight(f"order {order_id}'s transfer to seller {tenant_id} is being made")
            recorded = _fix_recovery(session, transfer, amount, key)
            if recorded is None:
                return None
            uow.commit()
        if recorded.status != RecoveryStatus.PENDING:
            return None
        gateway_transfer_id = session.scalar(
            select(SellerTransfer.gateway_transfer_id)
            .where(SellerTransfer.order_id == order_id, SellerTransfer.tenant_id == tenant_id))
        return _Recovery(key, Money(recorded.amount, recorded.currency),
                         Money(recorded.reverse_amount, recorded.currency), gateway_transfer_id)


def _fix_recovery(session: Session, transfer: SellerTransfer, amount: Money,
                  key: str) -> TransferRecovery | None:
    """Under the transfer's lock: how much to take back, and how much of it from the transfer."""
    currency = transfer.currency
    pending = Money(int(session.scalar(
        select(func.coalesce(func.sum(TransferRecovery.amount), 0))
        .where(TransferRecovery.order_id == transfer.order_id, TransferRecovery.tenant_id == transfer.tenant_id,
               TransferRecovery.status == RecoveryStatus.PENDING))), currency)
    shortfall = -owed_for_order(session, transfer.order_id, transfer.tenant_id, currency) - pending
    to_recover = min(amount, shortfall)
    if to_recover.amount <= 0:
        return None
    asked_back = Money(int(session.scalar(
        select(func.coalesce(func.sum(TransferRecovery.reverse_amount), 0))
        .where(TransferRecovery.order_id == transfer.order_id, TransferRecovery.tenant_id == transfer.tenant_id,
               TransferRecovery.status != RecoveryStatus.RECEIVABLE))), currency)
    reversible = max(Money(transfer.amount, currency) - asked_back, Money.zero(currency))
    recovery = TransferRecovery(key=key, order_id=transfer.order_id, tenant_id=transfer.tenant_id, currency=currency,
                                amount=to_recover.amount, reverse_amount=min(to_recover, reversible).amount,
                                status=RecoveryStatus.PENDING)
    session.add(recovery)
    session.flush()
    return recovery


def _record_recovery(recovery: _Recovery, order_id: int, tenant_id: int, reversed_amount: Money,
                     reversal_id: str | None, gateway_amount_reversed: int | None) -> None:
    owed = recovery.amount - reversed_amount
    with UnitOfWork() as uow:
        if reversed_amount.amount > 0:
            ledger.post(uow, TransactionKind.REVERSAL, recovery.key, postings.reversal(tenant_id, reversed_amount),
                        description=f"Reversal {reversal_id}", order_id=order_id, tenant_id=tenant_id,
                        gateway_source=reversal_id)
        if owed.amount > 0:
            # Kind REVERSAL: the part of a recovery no reversal could take, owed by the seller instead.
            ledger.post(uow, TransactionKind.REVERSAL, "recv:" + recovery.key.removeprefix("rev:"),
                        postings.receivable(tenant_id, owed), description="Owed by the seller: not reversible",
                        order_id=order_id, tenant_id=tenant_id)
        uow.session.execute(update(TransferRecovery)
                            .where(TransferRecovery.key == recovery.key,
                                   TransferRecovery.status == RecoveryStatus.PENDING)
                            .values(status=RecoveryStatus.REVERSED if reversal_id else RecoveryStatus.RECEIVABLE,
                                    gateway_reversal_id=reversal_id,
                                    reverse_amount=reversed_amount.amount))
        if gateway_amount_reversed is not None:
            _raise_amount_reversed(uow.session, order_id, tenant_id, gateway_amount_reversed)
        uow.commit()


def record_amount_reversed(gateway_transfer_id: str, amount_reversed: int) -> bool:
    """The gateway's `amount_reversed` of one of our transfers (`transfer.reversed`); False if not ours."""
    with UnitOfWork() as uow:
        changed = uow.session.execute(
            update(SellerTransfer)
            .where(SellerTransfer.gateway_transfer_id == gateway_transfer_id)
            .values(amount_reversed=func.greatest(SellerTransfer.amount_reversed, amount_reversed))
            .returning(SellerTransfer.id)).first()
        uow.commit()
    return changed is not None


def _raise_amount_reversed(session: Session, order_id: int, tenant_id: int, amount_reversed: int) -> None:
    # Never lowered: a stale answer read before a later reversal must not undo it.
    session.execute(update(SellerTransfer)
                    .where(SellerTransfer.order_id == order_id, SellerTransfer.tenant_id == tenant_id)
                    .values(amount_reversed=func.greatest(SellerTransfer.amount_reversed, amount_reversed)))



@handles("transfer.reversed")
def on_transfer_reversed(transfer: Transfer, event: WebhookEvent) -> None:
    """Record the transfer's `amount_reversed` as the gateway has it now (whoever reversed it)."""
    if not record_amount_reversed(transfer.id, transfer.amount_reversed.amount):
        log.warning("transfer.reversed for a transfer the marketplace did not make", extra={"transfer_id": transfer.id})
