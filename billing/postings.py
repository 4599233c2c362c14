"""What each movement of money posts to the ledger: the one place the chart of accounts is applied.

The marketplace uses Stripe's separate charges and transfers: the buyer's
payment lands on the platform's balance at the processor, and each seller's
share is transferred later to the seller's connected account, from which
payouts go to the seller's bank. Every function here returns the entries of
one ledger transaction (see billing/ledger.py, which posts them); none reads
or writes anything, so the rules can be read, and tested, on their own.

    settlement   debit gateway_balance (charged), debit processing_fees (the processor's fee),
                 credit gateway_balance (that fee, kept by the processor), credit each seller's
                 payable (gross − commission − fee share), credit commission_revenue (Σ commission),
                 credit processing_fees (Σ fee shares: the part of the fee sellers bear)
    transfer     debit connected_balance(seller), credit gateway_balance
    reversal     debit gateway_balance, credit connected_balance(seller)
    payout       debit payable(seller), credit connected_balance(seller)
                 (a failed payout is corrected by reversing its transaction)
    refund       credit gateway_balance (refunded), debit payable(seller) (refunded − commission
                 given back), debit commission_revenue (commission given back)
    receivable   debit receivable(seller), credit payable(seller): what the seller owes and no
                 transfer can be reversed for any more leaves the payable, to be netted later
    netting      debit payable(seller), credit receivable(seller): later earnings pay that debt
    dispute      funds withdrawn: debit dispute_losses, credit gateway_balance (the platform
                 bears it first); funds reinstated: the reverse; lost: debit payable(seller),
                 credit dispute_losses (the seller bears it, recovered like a refund)
    plan fee     debit payable(seller), credit plan_fees

A seller's figures follow from its accounts:
    available  = connected_balance          (transferred, not paid out yet)
    pending    = payable − connected_balance (earned, not transferred yet; below zero, the
                 seller owes the platform that much: reverse a transfer, else a receivable)
    receivable = receivable
    paid out   = the sum of its payout transactions, less the corrections of those that failed
                 (billing/balances.py reads all four)

A zero amount posts nothing (an entry is positive), and an amount that can
come out negative (a seller whose commission and fee share pass its gross)
posts on the other side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from billing.ledger import (
    COMMISSION_REVENUE, DISPUTE_LOSSES, GATEWAY_BALANCE, PLAN_FEES, PROCESSING_FEES, AccountRef, Entry,
    connected_balance, credit, debit, seller_payable, seller_receivable,
)
from billing.money import Money


@dataclass(frozen=True)
class SellerSplit:
    """One seller's part of a paid order: its gross (lines and shipping, after discounts), the commission
    frozen on its lines, and its share of the processor's fee, all in the order's currency."""

    tenant_id: int
    gross: Money
    commission: Money
    fee_share: Money

    @property
    def net(self) -> Money:
        return self.gross - self.commission - self.fee_share


def settlement(charged: Money, processing_fee: Money, splits: Sequence[SellerSplit]) -> list[Entry]:
    """A paid order split between its sellers and the platform.

    The splits' gross must add up to what was charged: the caller allocates
    discounts and shipping (billing.money.allocate) so that they do.
    """
    if sum((split.gross for split in splits), Money.zero(charged.currency)) != charged:
        raise ValueError("The sellers' gross amounts must add up to what was charged.")
    commission = sum((split.commission for split in splits), Money.zero(charged.currency))
    fee_shares = sum((split.fee_share for split in splits), Money.zero(charged.currency))
    entries = [*_debit(GATEWAY_BALANCE, charged), *_debit(PROCESSING_FEES, processing_fee),
               *_credit(GATEWAY_BALANCE, processing_fee)]
    for split in splits:
        entries += _credit(seller_payable(split.tenant_id), split.net)
    return entries + [*_credit(COMMISSION_REVENUE, commission), *_credit(PROCESSING_FEES, fee_shares)]


def transfer(tenant_id: int, amount: Money) -> list[Entry]:
    return [debit(connected_balance(tenant_id), amount), credit(GATEWAY_BALANCE, amount)]


def reversal(tenant_id: int, amount: Money) -> list[Entry]:
    return [debit(GATEWAY_BALANCE, amount), credit(connected_balance(tenant_id), amount)]


def payout(tenant_id: int, amount: Money) -> list[Entry]:
    return [debit(seller_payable(tenant_id), amount), credit(connected_balance(tenant_id), amount)]


def refund(tenant_id: int, refunded: Money, commission_returned: Money) -> list[Entry]:
    """A refund of a seller's part: the seller bears it, less the commission the platform gives back."""
    return [credit(GATEWAY_BALANCE, refunded), *_debit(seller_payable(tenant_id), refunded - commission_returned),
            *_debit(COMMISSION_REVENUE, commission_returned)]


def receivable(tenant_id: int, owed: Money) -> list[Entry]:
    return [debit(seller_receivable(tenant_id), owed), credit(seller_payable(tenant_id), owed)]


def netting(tenant_id: int, amount: Money) -> list[Entry]:
    return [debit(seller_payable(tenant_id), amount), credit(seller_receivable(tenant_id), amount)]


def dispute_funds_withdrawn(amount: Money) -> list[Entry]:
    return [debit(DISPUTE_LOSSES, amount), credit(GATEWAY_BALANCE, amount)]


def dispute_funds_reinstated(amount: Money) -> list[Entry]:
    return [debit(GATEWAY_BALANCE, amount), credit(DISPUTE_LOSSES, amount)]


def dispute_lost(tenant_id: int, amount: Money) -> list[Entry]:
    """The seller bears its share of a lost dispute (recovered from it like a refund)."""
    return [debit(seller_payable(tenant_id), amount), credit(DISPUTE_LOSSES, amount)]


def plan_fee(tenant_id: int, fee: Money) -> list[Entry]:
    return [debit(seller_payable(tenant_id), fee), credit(PLAN_FEES, fee)]


def _debit(account: AccountRef, amount: Money) -> list[Entry]:
    """Nothing for zero; a credit of the opposite for a negative amount."""
    if amount.amount == 0:
        return []
    return [debit(account, amount)] if amount.amount > 0 else [credit(account, -amount)]


def _credit(account: AccountRef, amount: Money) -> list[Entry]:
    if amount.amount == 0:
        return []
    return [credit(account, amount)] if amount.amount > 0 else [debit(account, -amount)]
