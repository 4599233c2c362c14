"""Storefront settings: the storefront's name, texts, images, support address and custom domain.

Read by the storefront, written by the seller's owners and managers (through
the sellers API). The texts live in the seller's schema; the custom domain and
the seller's name as the whole marketplace shows it live in the registry, in
the control database. A save is therefore a short saga of one-database
transactions: claim the domain (control; a domain taken elsewhere refuses
the save before anything changed), then write the settings with their audit
entry (tenant; the entry travels as an outbox message); a new name reaches
the registry through the outbox too (`apply_display_name`), applied right
after the commit in the common case.
"""
from __future__ import annotations

from dataclasses import dataclass, replace as with_changes
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.audit.services import record
from marketplace.core.cache import invalidate, seller_face_scope, tenant_scope
from marketplace.core.field_updates import writable_changes
from tenants.locks import lock_row
from marketplace.storefront.domains import claim_domain, custom_domain_name
from marketplace.storefront.models import StorefrontSettings
from tenants.models import Tenant, TenantRef
from tenants.registry import TenantNotFound, get_tenant_by_id
from tenants.uow import UnitOfWork

RESYNC_SELLER_JOB = "marketplace.catalog.jobs.resync_seller_products"
APPLY_DISPLAY_NAME_JOB = "marketplace.storefront.jobs.apply_display_name"


# What a storefront shows before its seller has saved any settings (the name comes from the registry).
_SETTINGS_DEFAULTS: dict[str, Any] = {
    "description": "", "logo_url": None, "banner_url": None, "shipping_policy": "", "returns_policy": "",
    "support_email": None, "custom_domain": None, "acceptance_hours": None,
}
_SETTINGS_COLUMNS = ("display_name", "description", "logo_url", "banner_url", "shipping_policy", "returns_policy",
                     "support_email", "acceptance_hours")


@dataclass(frozen=True)
class RegistryValues:
    """What the registry (control database) holds of a storefront."""

    display_name: str
    custom_domain: str | None


def get_storefront_settings(tenant: TenantRef) -> dict[str, Any]:
    """The storefront's name, texts, images, support address and custom domain, as plain JSON-able values.

    A seller who never saved settings gets the defaults, named as in the registry.
    """
    registry = _registry_values(tenant.id)
    with UnitOfWork(tenant) as uow:
        return _storefront_settings(uow.session, registry)


def save_storefront_settings(tenant: TenantRef, actor_user_id: int, values: dict[str, Any], replace: bool,
                             domain_verification_ttl: timedelta) -> dict[str, Any]:
    """Change the storefront settings: `replace` resets every field not in `values` (PUT), else only those given.

    The display name is the seller's name everywhere, so the registry takes it
    too. A new custom domain is pending until proved within
    `domain_verification_ttl` (see domains.py). Raises DomainTaken if another
    tenant has verified it (a 409 domain_taken), before anything is written.
    """
    values = writable_changes(values, (*_SETTINGS_COLUMNS, "custom_domain"))
    changes = {**_SETTINGS_DEFAULTS, **values} if replace else values
    registry_before = _registry_values(tenant.id)
    if "custom_domain" in changes:
        with UnitOfWork() as control_uow:
            claim_domain(control_uow, tenant.id, changes["custom_domain"], domain_verification_ttl)
            control_uow.commit()
    registry_after = (with_changes(registry_before, custom_domain=changes["custom_domain"]) if "custom_domain" in changes
                      else registry_before)
    with UnitOfWork(tenant) as uow:
        before = _storefront_settings(uow.session, registry_before)
        settings = _lock_settings_row(uow.session, registry_before.display_name)
        for column in _SETTINGS_COLUMNS:
            if column in changes:
                setattr(settings, column, changes[column])
        uow.session.flush()
        after = _storefront_settings(uow.session, registry_after)
        record(uow, actor_user_id=actor_user_id, action="storefront_settings.update",
               target_type="storefront_settings", target_id=tenant.id, tenant_id=tenant.id, before=before,
               after=after)
        if after["display_name"] != registry_before.display_name:
            uow.add_message(APPLY_DISPLAY_NAME_JOB, {"tenant_id": tenant.id}, queue="read_models")
            uow.apply_after_commit(lambda: apply_display_name(tenant), "seller name", tenant_id=tenant.id)
        # Detail and profile depend on the tenant scope; listing pages showing the seller on its face.
        uow.after_commit(lambda: invalidate(tenant_scope(tenant.id), seller_face_scope(tenant.id)))
        uow.commit()
    return after


def apply_display_name(tenant: TenantRef) -> bool:
    """Give the registry the name the seller's settings hold now; True if it changed.

    The registry row stays locked while the settings are read, so appliers
    run one after the other and each reads what the last commit left: the
    last one to run writes the latest name, however late or doubled the
    messages. A changed name resyncs the seller's products (their search
    documents show it) through the control database's outbox.
    """
    with UnitOfWork() as control_uow:
        registry_row = lock_row(control_uow.session, Tenant, tenant.id)
        with UnitOfWork(tenant) as uow:
            settings = uow.session.get(StorefrontSettings, 1)
            name = settings.display_name if settings is not None else registry_row.display_name
        if name == registry_row.display_name:
            return False
        control_uow.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(display_name=name))
        control_uow.add_message(RESYNC_SELLER_JOB, {"resynced_tenant_id": tenant.id})
        control_uow.after_commit(lambda: invalidate(tenant_scope(tenant.id), seller_face_scope(tenant.id)))
        control_uow.commit()
    return True


def apply_display_name_of(tenant_id: int) -> bool:
    try:
        return apply_display_name(get_tenant_by_id(tenant_id))
    except TenantNotFound:
        return False


def _registry_values(tenant_id: int) -> RegistryValues:
    with UnitOfWork() as uow:
        display_name = uow.session.scalar(select(Tenant.display_name).where(Tenant.id == tenant_id))
        return RegistryValues(display_name=display_name, custom_domain=custom_domain_name(uow.session, tenant_id))


def _storefront_settings(session: Session, registry: RegistryValues) -> dict[str, Any]:
    settings = session.get(StorefrontSettings, 1, populate_existing=True)
    if settings is None:
        values = {**_SETTINGS_DEFAULTS, "display_name": registry.display_name}
    else:
        values = {column: getattr(settings, column) for column in _SETTINGS_COLUMNS}
    values["custom_domain"] = registry.custom_domain
    return {field: values[field] for field in (*_SETTINGS_COLUMNS, "custom_domain")}


def _lock_settings_row(session: Session, display_name: str) -> StorefrontSettings:
    # The row is created on first write; ON CONFLICT lets two first writers meet on one row.
    session.execute(insert(StorefrontSettings).values(id=1, display_name=display_name)
                    .on_conflict_do_nothing(index_elements=[StorefrontSettings.id]))
    return lock_row(session, StorefrontSettings, 1)
