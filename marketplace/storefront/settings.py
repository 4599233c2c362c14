"""Storefront settings: the storefront's name, texts, images, support address and custom domain.

Read by the storefront, written by the seller's owners and managers (through
the sellers API). A change is written to the audit log in the same
transaction; search documents follow through the outbox.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.audit.services import record
from marketplace.core.cache import invalidate, seller_face_scope, tenant_scope
from marketplace.core.field_updates import writable_changes
from marketplace.core.locks import lock_row
from marketplace.storefront.domains import claim_domain, custom_domain_name
from marketplace.storefront.models import StorefrontSettings
from tenants.models import Tenant, TenantRef
from tenants.uow import UnitOfWork

RESYNC_SELLER_JOB = "marketplace.catalog.jobs.resync_seller_products"


# What a storefront shows before its seller has saved any settings (the name comes from the registry).
_SETTINGS_DEFAULTS: dict[str, Any] = {
    "description": "", "logo_url": None, "banner_url": None, "shipping_policy": "", "returns_policy": "",
    "support_email": None, "custom_domain": None,
}
_SETTINGS_COLUMNS = ("display_name", "description", "logo_url", "banner_url", "shipping_policy", "returns_policy",
                     "support_email")


def get_storefront_settings(tenant: TenantRef) -> dict[str, Any]:
    """The storefront's name, texts, images, support address and custom domain, as plain JSON-able values.

    A seller who never saved settings gets the defaults, named as in the registry.
    """
    with UnitOfWork(tenant) as uow:
        return _storefront_settings(uow.session, tenant.id)


def save_storefront_settings(tenant: TenantRef, actor_user_id: int, values: dict[str, Any], replace: bool,
                             domain_verification_ttl: timedelta) -> dict[str, Any]:
    """Change the storefront settings: `replace` resets every field not in `values` (PUT), else only those given.

    The display name is the seller's name everywhere, so the registry takes it
    too. A new custom domain is pending until proved within
    `domain_verification_ttl` (see domains.py). Raises DomainTaken if another
    tenant has verified it (a 409 domain_taken).
    """
    values = writable_changes(values, (*_SETTINGS_COLUMNS, "custom_domain"))
    changes = {**_SETTINGS_DEFAULTS, **values} if replace else values
    with UnitOfWork(tenant) as uow:
        if "display_name" in changes:
            # The registry takes the name too: its row first, the lock order of marketplace/core/locks.py.
            lock_row(uow.session, Tenant, tenant.id)
        before = _storefront_settings(uow.session, tenant.id)
        settings = _lock_settings_row(uow.session, tenant.id)
        for column in _SETTINGS_COLUMNS:
            if column in changes:
                setattr(settings, column, changes[column])
        if "display_name" in changes:
            uow.session.get_one(Tenant, tenant.id).display_name = changes["display_name"]
        if "custom_domain" in changes:
            claim_domain(uow, tenant.id, changes["custom_domain"], domain_verification_ttl)
        uow.session.flush()
        after = _storefront_settings(uow.session, tenant.id)
        record(uow, actor_user_id=actor_user_id, action="storefront_settings.update",
               target_type="storefront_settings", target_id=tenant.id, tenant_id=tenant.id, before=before,
               after=after)
        if after["display_name"] != before["display_name"]:
            # Every product's search document shows the seller's name.
            uow.add_message(RESYNC_SELLER_JOB, {"tenant_id": tenant.id})
        # Detail and profile depend on the tenant scope; listing pages showing the seller on its face.
        uow.after_commit(lambda: invalidate(tenant_scope(tenant.id), seller_face_scope(tenant.id)))
        uow.commit()
    return after


def _storefront_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    settings = session.get(StorefrontSettings, 1, populate_existing=True)
    if settings is None:
        values = {**_SETTINGS_DEFAULTS, "display_name": session.get_one(Tenant, tenant_id).display_name}
    else:
        values = {column: getattr(settings, column) for column in _SETTINGS_COLUMNS}
    values["custom_domain"] = custom_domain_name(session, tenant_id)
    return {field: values[field] for field in (*_SETTINGS_COLUMNS, "custom_domain")}


def _lock_settings_row(session: Session, tenant_id: int) -> StorefrontSettings:
    # The row is created on first write; ON CONFLICT lets two first writers meet on one row.
    display_name = session.get_one(Tenant, tenant_id).display_name
    session.execute(insert(StorefrontSettings).values(id=1, display_name=display_name)
                    .on_conflict_do_nothing(index_elements=[StorefrontSettings.id]))
    return lock_row(session, StorefrontSettings, 1)
