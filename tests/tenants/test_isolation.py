"""Tenant isolation under concurrency, failures and raw SQL.

Every tenant's products carry the tenant's slug in their own slug, so a row
seen through the wrong tenant is recognised at once.
"""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from marketplace.accounts.models import MemberRole
from marketplace.catalog.models import Product
from tenants.binding import TenantNotBound
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tenants.uow import UnitOfWork

TENANT_COUNT = 24
THREADS = 8
OPERATIONS_PER_THREAD = 150


class InjectedFailure(Exception):
    """Raised on purpose in the middle of a transaction."""


@pytest.fixture
def single_connection_pool(app):
    """Every unit of work on a shard shares that shard's one pooled connection."""
    urls = shards.urls
    shards.configure(urls, pool_size=1, max_overflow=0)
    yield
    shards.configure(urls, pool_size=app.config["DB_POOL_SIZE"])


@pytest.fixture
def tenants(app):
    refs = [provision_tenant(f"shop-{index:02d}", f"Shop {index}") for index in range(TENANT_COUNT)]
    assert {ref.shard_key for ref in refs} == {"default", "second"}  # the fuzz runs over both servers
    for ref in refs:
        with UnitOfWork(ref) as uow:
            uow.session.add_all(Product(slug=f"{ref.slug}--seed-{n}", title="seed") for n in range(3))
            uow.commit()
    return refs


def _default_search_path() -> str:
    """The search path of every shard's pooled connection: one value if all are at the default."""
    paths = set()
    for shard_key in shards.keys:
        with shards.engine(shard_key).connect() as conn:
            paths.add(conn.execute(text("SHOW search_path")).scalar_one())
    return paths.pop() if len(paths) == 1 else str(sorted(paths))


def _assert_only_own_rows(tenant, slugs):
    foreign = [slug for slug in slugs if not slug.startswith(f"{tenant.slug}--")]
    assert not foreign, f"{tenant.slug} saw rows of other tenants: {foreign[:5]}"


def _orm_read(tenant, rng):
    with UnitOfWork(tenant) as uow:
        _assert_only_own_rows(tenant, uow.session.scalars(select(Product.slug)).all())


def _raw_read(tenant, rng):
    with UnitOfWork(tenant) as uow:
        _assert_only_own_rows(tenant, uow.session.execute(text("SELECT slug FROM products")).scalars().all())


def _write_and_commit(tenant, rng):
    with UnitOfWork(tenant) as uow:
        uow.session.add(Product(slug=f"{tenant.slug}--{rng.getrandbits(48):x}", title="fuzz"))
        uow.commit()


def _write_then_fail(tenant, rng):
    with pytest.raises(InjectedFailure):
        with UnitOfWork(tenant) as uow:
            uow.session.execute(text("INSERT INTO products (slug, title) VALUES (:slug, 'doomed')"),
                                {"slug": f"{tenant.slug}--doomed-{rng.getrandbits(48):x}"})
            uow.session.flush()
            raise InjectedFailure()


def _failing_sql_mid_transaction(tenant, rng):
    with pytest.raises(ProgrammingError):
        with UnitOfWork(tenant) as uow:
            uow.session.execute(text("SELECT slug FROM products")).all()
            uow.session.execute(text("SELECT * FROM table_that_does_not_exist"))


def _session_level_set_by_mistake(tenant, rng):
    # Buggy code setting search_path for the whole session must not leak to the next user.
    with UnitOfWork(tenant) as uow:
        uow.session.execute(text(f'SET search_path TO "{tenant.schema_name}"'))
        uow.commit()


OPERATIONS = [_orm_read, _raw_read, _write_and_commit, _write_then_fail, _failing_sql_mid_transaction,
              _session_level_set_by_mistake]


def test_concurrent_units_of_work_never_see_another_tenants_rows(single_connection_pool, tenants):
    seed = random.randrange(2**32)
    errors: list[BaseException] = []

    def worker(thread_index: int) -> None:
        rng = random.Random(seed + thread_index)
        try:
            for _ in range(OPERATIONS_PER_THREAD):
                rng.choice(OPERATIONS)(rng.choice(tenants), rng)
                _raw_read(rng.choice(tenants), rng)
        except BaseException as error:  # reported below with the seed to replay it
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, f"seed {seed}: {errors[0]!r}"
    for tenant in tenants:
        _orm_read(tenant, None)
        with UnitOfWork(tenant) as uow:
            doomed = uow.session.scalar(select(func.count()).where(Product.title == "doomed"))
        assert doomed == 0, f"seed {seed}: a rolled-back insert of {tenant.slug} survived"
    assert _default_search_path() == '"$user", public'


def test_tenant_table_with_no_tenant_bound_raises(tenants):
    with UnitOfWork() as uow:
        with pytest.raises(TenantNotBound):
            uow.session.scalars(select(Product)).all()


def test_raw_sql_on_tenant_table_with_no_tenant_bound_fails(tenants):
    with UnitOfWork() as uow:
        with pytest.raises(ProgrammingError, match='relation "products" does not exist'):
            uow.session.execute(text("SELECT slug FROM products")).all()


def test_core_statement_with_no_tenant_bound_names_the_missing_binding(tenants):
    with UnitOfWork() as uow:
        with pytest.raises(ProgrammingError, match="no_tenant_bound"):
            uow.session.connection().execute(select(Product.__table__.c.slug)).all()


def test_connection_comes_back_to_the_pool_with_the_default_search_path(single_connection_pool, tenants):
    _session_level_set_by_mistake(tenants[0], random.Random(0))
    _raw_read(tenants[1], random.Random(0))

    assert _default_search_path() == '"$user", public'


def test_after_requests_the_pooled_connection_has_the_default_search_path(
        single_connection_pool, client, sign_up, make_seller):
    owner = sign_up("owner@example.com")
    seller = make_seller("acme", {owner.user_id: MemberRole.OWNER})
    responses = [
        client.get("/api/v1/me", headers=owner.headers),
        client.get(f"/api/v1/sellers/{seller.slug}/members", headers=owner.headers),
        client.get("/api/v1/sellers/no-such-seller/members", headers=owner.headers),
        client.post("/api/v1/auth/register", data="{not json", content_type="application/json"),
    ]

    assert [response.status_code for response in responses] == [200, 200, 404, 400]
    assert _default_search_path() == '"$user", public'
