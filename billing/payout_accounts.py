"""A seller's connected account: opened once, onboarded on the processor's pages, trusted only from its events.

The seller's owner asks for an onboarding link (`open_payout_account`): the
first call creates the Express account under the key `acct:{tenant}` (two
calls at once get the same account) and records it; every call returns a
fresh, single-use Account Link. Coming back from the link proves nothing:
only `account.updated`, whose account is re-read through the port, changes
the flags, and only on the row of the seller that account is recorded for.
"""
from __future__ import annotations

import logging
import secrets

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from billing.gateway.port import AccountLink, ConnectedAccount, PaymentGateway, WebhookEvent
from billing.payout_account_models import PayoutAccount
from billing.webhooks import handles
from tenants.db import utcnow
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)


def account_key(tenant_id: int) -> str:
    return f"acct:{tenant_id}"


class CountryRequired(ValueError):
    """A connected account is opened in a country: none was given, and the seller has none on record."""


def open_payout_account(gateway: PaymentGateway, tenant_id: int, *, email: str, country: str | None,
                        refresh_url: str, return_url: str) -> tuple[PayoutAccount, AccountLink]:
    """The seller's payout account (created on first call, in `country`) and a new onboarding link for it."""
    account = get_payout_account(tenant_id)
    if account is None:
        if country is None:
            raise CountryRequired("Give the country of the seller's business: it has none on record.")
        created = gateway.create_connected_account(email=email, country=country, idempotency_key=account_key(tenant_id),
                                                   metadata={"tenant_id": str(tenant_id)})
        account = _record_account(tenant_id, created)
    # Each link is single-use and short-lived: a fresh key asks for a fresh one.
    link = gateway.create_account_link(account_id=account.gateway_account_id, refresh_url=refresh_url,
                                       return_url=return_url,
                                       idempotency_key=f"link:{tenant_id}:{secrets.token_urlsafe(12)}")
    return account, link


def get_payout_account(tenant_id: int) -> PayoutAccount | None:
    with UnitOfWork() as uow:
        account = uow.session.get(PayoutAccount, tenant_id)
        uow.session.expunge_all()
    return account


def _record_account(tenant_id: int, created: ConnectedAccount) -> PayoutAccount:
    with UnitOfWork() as uow:
        uow.session.execute(insert(PayoutAccount).values(tenant_id=tenant_id, gateway_account_id=created.id)
                            .on_conflict_do_nothing(index_elements=[PayoutAccount.tenant_id]))
        account = uow.session.get(PayoutAccount, tenant_id)
        uow.session.expunge_all()
        uow.commit()
    return account


@handles("account.updated")
def on_account_updated(account: ConnectedAccount, event: WebhookEvent) -> None:
    """Record the account's current flags on the seller it belongs to; an account we never opened changes nothing."""
    with UnitOfWork() as uow:
        tenant_id = uow.session.scalar(
            update(PayoutAccount).where(PayoutAccount.gateway_account_id == account.id)
            .values(charges_enabled=account.charges_enabled, payouts_enabled=account.payouts_enabled,
                    details_submitted=account.details_submitted, requirements_due=list(account.requirements_due),
                    updated_at=utcnow())
            .returning(PayoutAccount.tenant_id))
        uow.commit()
    if tenant_id is None:
        log.warning("account.updated for an account no seller has", extra={"account_id": account.id})
    else:
        log.info("payout account updated", extra={"tenant_id": tenant_id, "payouts_enabled": account.payouts_enabled})

