"""One transaction, one database: a tenant-bound transaction never touches the control database's schema.

Whatever shard the tenant is on (the control database is the shard `default`
too), a statement of a tenant-bound session that names the `platform` schema
is refused before it reaches the server, so nothing it meant to write is
written; what the platform learns from a seller's change arrives by message.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from marketplace.accounts.models import MemberRole, User
from marketplace.audit.models import AuditEntry
from tenants.binding import ControlDatabaseFromTenant
from tenants.models import Tenant
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork
from tests.workers.support import run_jobs


@pytest.fixture(params=["default", "second"])
def tenant(request, app):
    with app.app_context():
        return provision_tenant("acme", "Acme", shard_key=request.param)


def test_an_orm_write_of_a_platform_table_in_a_tenant_transaction_is_refused(tenant, sql):
    with pytest.raises(ControlDatabaseFromTenant), UnitOfWork(tenant) as uow:
        uow.session.add(AuditEntry(action="forged", target_type="x", target_id="1", tenant_id=tenant.id))
        uow.session.flush()

    assert sql("SELECT count(*) FROM platform.audit_log")[0][0] == 0


def test_raw_sql_naming_the_platform_schema_in_a_tenant_transaction_is_refused(tenant, sql):
    with pytest.raises(ControlDatabaseFromTenant), UnitOfWork(tenant) as uow:
        uow.session.execute(text("UPDATE \"platform\".tenants SET display_name = 'Forged'"))

    assert sql("SELECT display_name FROM platform.tenants")[0][0] == "Acme"


def test_a_tenant_transaction_may_not_even_read_the_control_database(tenant):
    with pytest.raises(ControlDatabaseFromTenant), UnitOfWork(tenant) as uow:
        uow.session.scalars(select(User.email)).all()


def test_the_platform_learns_a_sellers_change_by_message_on_either_shard(app, client, sign_up, make_seller, sql):
    owner = sign_up("owner@example.com")
    with app.app_context():
        provision_tenant("first-shop", "First Shop")  # the seller below goes to the other server
    seller = make_seller("acme-tools", {owner.user_id: MemberRole.OWNER})

    renamed = client.patch("/api/v1/sellers/acme-tools/settings", json={"display_name": "Acme Hardware"},
                           headers=owner.headers)
    run_jobs(app)

    assert seller.shard_key == "second"
    assert renamed.status_code == 200
    with app.app_context(), UnitOfWork() as uow:
        assert uow.session.scalar(select(Tenant.display_name).where(Tenant.id == seller.id)) == "Acme Hardware"
        [entry] = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "storefront_settings.update"))
        assert (entry.tenant_id, entry.actor_user_id) == (seller.id, owner.user_id)
        assert entry.after["display_name"] == "Acme Hardware"
