"""Custom domains: claimed in the storefront settings, proved by their owner, only then serving the storefront.

A claim is `pending` with a token of its own. The seller proves control by
publishing the token in a TXT record `_marketplace-challenge.<domain>` or at
`http://<domain>/.well-known/marketplace-verification/<token>`. A job looks
for the proof right after the claim, whenever the seller asks, and
periodically while the claim is pending; found, the domain is `verified` and
serves the storefront; not found within DOMAIN_VERIFICATION_DAYS, `expired`
(a new check request gives it another period).

Claims do not block each other: several sellers may claim one host name,
and the first to prove it gets it (a partial unique index keeps one verified
domain per host name); the other claims of that name then expire. A
verified domain of another seller cannot be claimed (409).

The network is never touched inside a transaction: a check reads the claim,
looks for the proof, then writes the outcome if the claim is still the same.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.core.errors import Conflict, NotFound
from marketplace.core.integrity import violated_constraint
from tenants.locks import lock_first, lock_row
from marketplace.storefront.domain_proofs import DomainProbe, Proof, challenge_record_name, well_known_path
from tenants.db import utcnow
from tenants.models import DomainStatus, TenantDomain, TenantRef
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

# The seller portal's job (queued outbox rows name it): its entry point stays in the sellers area.
DOMAIN_CHECK_JOB = "marketplace.sellers.jobs.check_custom_domain"
_VERIFIED_HOSTNAME_INDEX = "uq_tenant_domains_verified_hostname"


class DomainTaken(Conflict):
    code = "domain_taken"

    def __init__(self, hostname: str):
        super().__init__("This domain already serves another storefront.",
                         errors={"custom_domain": [f"{hostname} is already in use."]})


class NoCustomDomain(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no custom domain; set one in the storefront settings.")


@dataclass(frozen=True)
class DomainView:
    """A custom domain as its seller sees it: where it stands and how to prove it."""

    hostname: str
    status: DomainStatus
    verification_token: str
    verification_expires_at: datetime
    verified_at: datetime | None
    last_checked_at: datetime | None
    last_check_result: str | None

    @classmethod
    def of(cls, domain: TenantDomain) -> "DomainView":
        return cls(hostname=domain.hostname, status=DomainStatus(domain.status),
                   verification_token=domain.verification_token,
                   verification_expires_at=domain.verification_expires_at, verified_at=domain.verified_at,
                   last_checked_at=domain.last_checked_at, last_check_result=domain.last_check_result)

    @property
    def proof_instructions(self) -> dict:
        return {
            "dns": {"type": "TXT", "name": challenge_record_name(self.hostname), "value": self.verification_token},
            "http": {"url": f"http://{self.hostname}{well_known_path(self.verification_token)}",
                     "body": self.verification_token},
        }


# Claiming (inside the storefront settings' unit of work)

def claim_domain(uow: UnitOfWork, tenant_id: int, hostname: str | None, verification_ttl: timedelta) -> None:
    """Make `hostname` the tenant's custom domain (None: no domain), pending until proved.

    Claiming the domain the tenant already has changes nothing. Raises
    DomainTaken if another tenant has verified it.
    """
    session = uow.session
    if custom_domain_name(session, tenant_id) == hostname:
        return
    session.execute(delete(TenantDomain).where(TenantDomain.tenant_id == tenant_id))
    if hostname is None:
        return
    if _verified_elsewhere(session, hostname, tenant_id):
        raise DomainTaken(hostname)
    domain = TenantDomain(tenant_id=tenant_id, hostname=hostname, is_primary=True, status=DomainStatus.PENDING,
                          verification_token=secrets.token_hex(16),
                          verification_expires_at=utcnow() + verification_ttl)
    session.add(domain)
    session.flush()
    uow.add_message(DOMAIN_CHECK_JOB, {"domain_id": domain.id})


def custom_domain_name(session: Session, tenant_id: int) -> str | None:
    """The tenant's custom domain, whatever its status."""
    return session.scalar(select(TenantDomain.hostname).where(TenantDomain.tenant_id == tenant_id)
                          .order_by(TenantDomain.is_primary.desc(), TenantDomain.id).limit(1))


# The seller's view and check requests

def get_custom_domain(tenant: TenantRef) -> DomainView:
    with UnitOfWork() as uow:
        domain = _tenant_domain(uow.session, tenant.id)
        if domain is None:
            raise NoCustomDomain()
        return DomainView.of(domain)


def request_domain_check(tenant: TenantRef, verification_ttl: timedelta) -> DomainView:
    """Queue a check of the tenant's domain now; an expired claim gets another period to be proved."""
    with UnitOfWork() as uow:
        domain = _tenant_domain(uow.session, tenant.id, lock=True)
        if domain is None:
            raise NoCustomDomain()
        if domain.status == DomainStatus.EXPIRED:
            domain.status = DomainStatus.PENDING
            domain.verification_expires_at = utcnow() + verification_ttl
        if domain.status == DomainStatus.PENDING:
            uow.add_message(DOMAIN_CHECK_JOB, {"domain_id": domain.id})
        uow.session.flush()
        view = DomainView.of(domain)
        uow.commit()
    return view


# Checks (jobs)

def check_domain(domain_id: int, probe: DomainProbe) -> DomainStatus | None:
    """Look for the proof of a pending claim and record what was found; the claim's status after (None: gone).

    Safe to run again: a claim that is verified, expired or gone is left as it is.
    """
    with UnitOfWork() as uow:
        domain = uow.session.get(TenantDomain, domain_id)
        if domain is None or domain.status != DomainStatus.PENDING:
            return _status_of(domain)
        hostname, token = domain.hostname, domain.verification_token
        if domain.verification_expires_at <= utcnow():
            domain.status = DomainStatus.EXPIRED
            uow.commit()
            return DomainStatus.EXPIRED
    proof = probe.find_proof(hostname, token)
    return _record_check(domain_id, token, proof)


def queue_pending_domain_checks() -> int:
    """Expire the claims past their period and queue a check of every other pending one; how many were queued."""
    with UnitOfWork() as uow:
        uow.session.execute(update(TenantDomain)
                            .where(TenantDomain.status == DomainStatus.PENDING,
                                   TenantDomain.verification_expires_at <= utcnow())
                            .values(status=DomainStatus.EXPIRED))
        pending_ids = uow.session.scalars(select(TenantDomain.id).where(TenantDomain.status == DomainStatus.PENDING)
                                          .order_by(TenantDomain.id)).all()
        for domain_id in pending_ids:
            uow.add_message(DOMAIN_CHECK_JOB, {"domain_id": domain_id})
        uow.commit()
    return len(pending_ids)


def _record_check(domain_id: int, token: str, proof: Proof) -> DomainStatus | None:
    with UnitOfWork() as uow:
        domain = lock_row(uow.session, TenantDomain, domain_id)
        # Claimed anew, checked by a faster job, or dropped while we looked: this outcome is stale.
        if domain is None or domain.status != DomainStatus.PENDING or domain.verification_token != token:
            return _status_of(domain)
        domain.last_checked_at = utcnow()
        domain.last_check_result = proof.detail
        if proof.found:
            try:
                _verify(uow.session, domain)
            except IntegrityError as error:
                if violated_constraint(error) != _VERIFIED_HOSTNAME_INDEX:
                    raise
                log.info("domain %s was proved, but another seller verified it first", domain_id)
                return DomainStatus.PENDING
        status = DomainStatus(domain.status)
        uow.commit()
    log.info("domain check: %s", status.value, extra={"domain_id": domain_id, "proof": proof.method})
    return status


def _verify(session: Session, domain: TenantDomain) -> None:
    """Mark the domain verified (IntegrityError if another seller's claim of the name was verified first)."""
    domain.status = DomainStatus.VERIFIED
    domain.verified_at = utcnow()
    session.flush()
    # Other sellers' claims of this name can never be proved now.
    session.execute(update(TenantDomain)
                    .where(TenantDomain.hostname == domain.hostname, TenantDomain.id != domain.id,
                           TenantDomain.status == DomainStatus.PENDING)
                    .values(status=DomainStatus.EXPIRED, last_check_result="Another seller verified this domain."))


def _status_of(domain: TenantDomain | None) -> DomainStatus | None:
    return None if domain is None else DomainStatus(domain.status)


def _tenant_domain(session: Session, tenant_id: int, lock: bool = False) -> TenantDomain | None:
    query = select(TenantDomain).where(TenantDomain.tenant_id == tenant_id) \
        .order_by(TenantDomain.is_primary.desc(), TenantDomain.id).limit(1)
    return lock_first(session, query) if lock else session.scalar(query)


def _verified_elsewhere(session: Session, hostname: str, tenant_id: int) -> bool:
    return session.scalar(select(TenantDomain.id).where(TenantDomain.hostname == hostname,
                                                        TenantDomain.tenant_id != tenant_id,
                                                        TenantDomain.status == DomainStatus.VERIFIED)) is not None

