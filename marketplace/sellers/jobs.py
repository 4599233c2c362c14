"""RQ entry points of the sellers area (thin: each calls one service). All are safe to run again."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app

from marketplace.sellers.administration import record_tenant_status_notices
from marketplace.sellers.applications import record_application_decision_notice
from marketplace.sellers.exports import write_tenant_export
from marketplace.sellers.members import mail_invite
from marketplace.storefront import domains
from marketplace.storefront.domain_proofs import DomainProbe

log = logging.getLogger(__name__)


def notify_application_decided(application_id: int) -> None:
    """Tell the applicant that their application was approved or declined."""
    recorded = record_application_decision_notice(application_id)
    log.info("application decision notice %s", "recorded" if recorded else "already recorded or not due",
             extra={"application_id": application_id})


def notify_tenant_status_changed(audit_entry_id: int) -> None:
    """Tell a tenant's owners and managers that an operator changed its status (the audit entry says how)."""
    recorded_count = record_tenant_status_notices(audit_entry_id)
    log.info("tenant status notices: %d recorded", recorded_count,
             extra={"audit_entry_id": audit_entry_id, "recorded_count": recorded_count})


def send_member_invite(invite_id: int) -> None:
    """Mail the invitee the invite's token (minted here: it is in no payload or log)."""
    sent = mail_invite(invite_id)
    log.info("invite mail %s", "sent" if sent else "already sent or the invite is closed",
             extra={"invite_id": invite_id})


def export_tenant(export_id: int) -> None:
    """Write a closed tenant's catalog and orders under <VAR_DIR>/exports."""
    folder = write_tenant_export(export_id, Path(current_app.config["VAR_DIR"]).resolve() / "exports")
    log.info("tenant export %s", f"written to {folder}" if folder else "already written or unknown",
             extra={"export_id": export_id})


def check_custom_domain(domain_id: int) -> None:
    """Look for the proof of a pending custom domain; verified, it serves the storefront."""
    status = domains.check_domain(domain_id, DomainProbe.from_config(current_app.config))
    log.info("custom domain check: %s", status.value if status else "no such domain", extra={"domain_id": domain_id})


def recheck_pending_domains() -> None:
    """Periodic: expire the custom domains not proved in time, queue a check of the other pending ones."""
    queued_count = domains.queue_pending_domain_checks()
    log.info("%d pending custom domains queued for a check", queued_count, extra={"queued_count": queued_count})
