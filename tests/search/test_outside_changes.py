"""Documents show what the product row does not own: a renamed or moved category, a renamed seller, reach them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import MemberRole, Membership
from marketplace.catalog.listing import sync_listings
from marketplace.catalog.models import Product
from marketplace.search.query import SearchQuery
from tenants.uow import UnitOfWork
from tests.workers.support import run_jobs


@pytest.fixture
def shop(shop):
    # The catalog services keep the listing rows; jobs find a category's sellers through them.
    for tenant in (shop.acme, shop.globex):
        with UnitOfWork(tenant) as uow:
            sync_listings(uow, tenant, uow.session.scalars(select(Product.id)).all())
            uow.commit()
    return shop


def titles(result) -> set[str]:
    return {hit.document.title for hit in result.hits}


def test_renaming_a_category_reaches_the_documents_below_it(app, client, operator, backend, shop):
    response = client.patch(f"/api/v1/operator/categories/{shop.phones}", json={"name": "Mobiles"},
                            headers=operator.headers)
    assert response.status_code == 200

    run_jobs(app)
    backend.refresh()

    found = backend.search(SearchQuery(text="mobiles"))
    assert titles(found) == {"iPhone 15", "iPhone 15 Pro Case"}
    assert {tuple(hit.document.category_path_names) for hit in found.hits} == {
        ("Electronics", "Mobiles"), ("Electronics", "Mobiles", "Smartphones")}


def test_moving_a_category_moves_its_products_under_the_new_parent(app, client, operator, backend, shop):
    response = client.patch(f"/api/v1/operator/categories/{shop.audio}", json={"parent_id": shop.home},
                            headers=operator.headers)
    assert response.status_code == 200

    run_jobs(app)
    backend.refresh()

    assert titles(backend.search(SearchQuery(category_ids=(shop.home,)))) == {
        "Wireless Headphones", "Bluetooth Speaker", "Stoneware Mug"}
    assert titles(backend.search(SearchQuery(category_ids=(shop.electronics,)))) == {
        "iPhone 15", "iPhone 15 Pro Case"}


def test_renaming_a_seller_reaches_its_documents_and_the_seller_facet(app, client, sign_up, backend, shop):
    owner = sign_up("owner@acme.example")
    with UnitOfWork() as uow:
        uow.session.add(Membership(user_id=owner.user_id, tenant_id=shop.acme.id, role=MemberRole.OWNER))
        uow.commit()
    response = client.patch("/api/v1/sellers/acme/settings", json={"display_name": "Acme Mobile"},
                            headers=owner.headers)
    assert response.status_code == 200

    run_jobs(app)
    backend.refresh()

    result = backend.search(SearchQuery(text="iphone"))
    assert {hit.document.seller_name for hit in result.hits} == {"Acme Mobile"}
    assert [(count.seller_slug, count.seller_name) for count in result.facets.sellers] == [("acme", "Acme Mobile")]


def test_a_change_that_documents_do_not_show_queues_no_resync(app, client, operator, backend, shop, sql):
    client.patch(f"/api/v1/operator/categories/{shop.phones}", json={"slug": "mobile-phones"},
                 headers=operator.headers)

    queued = sql("SELECT job FROM shard.outbox_messages WHERE job LIKE 'marketplace.catalog.jobs.resync%'")

    assert queued == []
