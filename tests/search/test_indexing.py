"""Indexing from the catalog: versions guard against late jobs, deletions remove, jobs run from the outbox."""
from __future__ import annotations

from dataclasses import replace

import pytest

from marketplace.catalog.models import ProductImage, ProductStatus
from marketplace.search import jobs
from marketplace.search.documents import load_documents, load_tenant
from marketplace.search.port import IndexingFailed
from marketplace.search.query import AttributeFilter, SearchQuery
from tests.search.catalog import count_documents
from tenants.uow import UnitOfWork
from tests.workers.support import run_jobs, write_message


def test_a_late_job_with_an_older_version_cannot_overwrite_a_newer_document(backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot", description="Old description")
    old_document = load_documents(load_tenant(acme.id), [product_id]).documents[0]
    catalog.change(acme, product_id, title="Cast Iron Teapot")

    report = backend.index_documents([old_document])
    backend.refresh()

    assert (report.written, report.stale) == (0, 1)
    assert [hit.document.title for hit in backend.search(SearchQuery(text="teapot")).hits] == ["Cast Iron Teapot"]


def test_a_repeated_job_of_the_same_version_changes_nothing(backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot")
    document = load_documents(load_tenant(acme.id), [product_id]).documents[0]

    report = backend.index_documents([replace(document, title="Tampered Teapot")])
    backend.refresh()

    assert report.stale == 1
    assert [hit.document.title for hit in backend.search(SearchQuery(text="teapot")).hits] == ["Teapot"]


def test_a_newer_version_replaces_the_document(backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot", prices=(2500,))

    catalog.change(acme, product_id, title="Porcelain Teapot")
    backend.refresh()

    hits = backend.search(SearchQuery(text="teapot")).hits
    assert [(hit.document.title, hit.document.version) for hit in hits] == [("Porcelain Teapot", 2)]


def test_a_deleted_product_leaves_the_index(backend, catalog):
    acme = catalog.seller("acme")
    kept = catalog.product(acme, "Teapot")
    deleted = catalog.product(acme, "Teacup")

    catalog.delete(acme, deleted)
    backend.refresh()

    assert [hit.product_id for hit in backend.search(SearchQuery(text="")).hits] == [kept]
    assert count_documents(backend, acme.id) == 1


def test_an_unpublished_product_is_kept_out_of_buyer_results(backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot")

    catalog.change(acme, product_id, status="archived")
    backend.refresh()

    assert backend.search(SearchQuery(text="teapot")).total == 0


def test_the_indexing_job_runs_from_the_outbox_on_the_search_queue(app, backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot", index=False)

    write_message("marketplace.search.jobs.index_products", {"tenant_id": acme.id, "product_ids": [product_id]},
                  queue="search", tenant=acme)
    run_jobs(app)
    backend.refresh()

    assert [hit.product_id for hit in backend.search(SearchQuery(text="teapot")).hits] == [product_id]


def test_the_status_job_hides_a_suspended_seller(app, backend, catalog, sql):
    acme = catalog.seller("acme")
    catalog.product(acme, "Teapot")
    sql("UPDATE platform.tenants SET status = 'suspended' WHERE id = :id", id=acme.id)

    write_message("marketplace.search.jobs.sync_tenant_status", {"tenant_id": acme.id}, queue="search", tenant=acme)
    run_jobs(app)

    assert backend.search(SearchQuery(text="teapot")).total == 0


def test_writes_the_engine_refuses_fail_the_job_with_their_reasons(opensearch_backend, catalog):
    acme = catalog.seller("acme")
    catalog.product(acme, "Teapot")
    pooled = opensearch_backend.layout.pooled_index()
    opensearch_backend.client.indices.put_settings(index=pooled, body={"index.blocks.write": True})
    product_id = catalog.product(acme, "Teacup", index=False)

    try:
        with pytest.raises(IndexingFailed) as failure:
            jobs.index_products(acme.id, [product_id])
    finally:
        opensearch_backend.client.indices.put_settings(index=pooled, body={"index.blocks.write": False})

    assert list(failure.value.failures) == [f"{opensearch_backend.names.seller_alias(acme.id)}/{acme.id}-{product_id}"]
    assert "cluster_block_exception" in next(iter(failure.value.failures.values()))


def test_each_backend_reports_its_health(backend):
    health = backend.health()

    assert (health.backend, health.healthy) == (backend.name, True)


def test_a_document_shows_the_first_image_by_position_and_its_variants_figures(backend, catalog):
    acme = catalog.seller("acme")
    product_id = catalog.product(acme, "Teapot", prices=(2500, 1800, 3200), stock=0, index=False)
    with UnitOfWork(acme) as uow:
        uow.session.add_all([ProductImage(product_id=product_id, url="https://img.example/side.jpg", position=1),
                             ProductImage(product_id=product_id, url="https://img.example/front.jpg", position=0)])
        uow.commit()

    catalog.index(acme, [product_id])
    backend.refresh()

    [hit] = backend.search(SearchQuery(text="teapot")).hits
    assert hit.document.image_url == "https://img.example/front.jpg"
    assert (hit.document.min_price_amount, hit.document.max_price_amount, hit.document.in_stock) == (1800, 3200, False)


def test_the_facets_of_a_search_without_words_follow_every_write(backend, catalog):
    seller = catalog.seller("initech")
    desk_lamp = catalog.product(seller, "Desk Lamp", attributes={"colour": "green"}, prices=(1500,))
    floor_lamp = catalog.product(seller, "Floor Lamp", attributes={"colour": "green"}, prices=(30000,))
    wall_lamp = catalog.product(seller, "Wall Lamp", attributes={"colour": "green"}, prices=(3000,))

    catalog.change(seller, desk_lamp, attributes={"colour": "white"})
    catalog.delete(seller, floor_lamp)
    catalog.change(seller, wall_lamp, status=ProductStatus.DRAFT)
    backend.refresh()
    everything = backend.search(SearchQuery())
    white_ones = backend.search(SearchQuery(attributes=(AttributeFilter("colour", ("white",)),)))

    assert everything.total == 1
    assert [(count.seller_slug, count.count) for count in everything.facets.sellers] == [("initech", 1)]
    assert [count.count for count in everything.facets.price_ranges] == [0, 1, 0, 0, 0, 0]
    assert {value.value: value.count for value in white_ones.facets.attributes["colour"]} == {"white": 1}
