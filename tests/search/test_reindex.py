"""Reindexing while the marketplace keeps writing and searching, and moving a large seller."""
from __future__ import annotations

import threading

from marketplace.search import services
from marketplace.search.documents import CatalogDocuments
from marketplace.search.query import SearchQuery
from tests.search.catalog import count_documents


def make_products(catalog, tenant, count: int, name: str) -> list[int]:
    return [catalog.product(tenant, f"{name} Lamp {number}", description="Reading light") for number in range(count)]


def visible_ids(backend) -> set[tuple[int, int]]:
    hits = backend.search(SearchQuery(page_size=100)).hits
    return {(hit.seller_id, hit.product_id) for hit in hits}


def test_a_full_reindex_under_concurrent_writes_ends_equal_to_the_catalog(backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    acme_ids = make_products(catalog, acme, 30, "Acme")
    make_products(catalog, globex, 30, "Globex")
    backend.refresh()
    totals_during: list[int] = []
    writes = iter([
        lambda: catalog.change(acme, acme_ids[0], title="Renamed Desk Lamp"),
        lambda: catalog.product(globex, "Fresh Floor Lamp"),
        lambda: catalog.delete(acme, acme_ids[1]),
    ])

    def write_and_search_between_batches(progress) -> None:
        backend.refresh()
        totals_during.append(backend.search(SearchQuery(page_size=1)).total)
        next(writes, lambda: None)()

    written = backend.reindex_all(CatalogDocuments(batch_size=10), write_and_search_between_batches)
    backend.refresh()

    assert len(totals_during) >= 6 and min(totals_during) >= 60
    assert written >= 60
    assert backend.search(SearchQuery(page_size=100)).total == 60
    assert (acme.id, acme_ids[1]) not in visible_ids(backend)
    assert [hit.document.title for hit in backend.search(SearchQuery(text="desk")).hits] == ["Renamed Desk Lamp"]
    assert backend.search(SearchQuery(text="floor")).total == 1
    assert count_documents(backend, acme.id) + count_documents(backend, globex.id) == 60


def test_searches_running_through_a_full_reindex_never_fail_or_come_back_empty(backend, catalog):
    acme = catalog.seller("acme")
    make_products(catalog, acme, 40, "Acme")
    backend.refresh()
    totals: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()

    def search_until_done() -> None:
        while not done.is_set():
            try:
                totals.append(backend.search(SearchQuery(text="lamp", page_size=1)).total)
            except Exception as error:  # recorded: the assertion below reports it
                errors.append(error)

    searcher = threading.Thread(target=search_until_done)
    searcher.start()
    try:
        for _ in range(3):
            backend.reindex_all(CatalogDocuments(batch_size=5))
    finally:
        done.set()
        searcher.join()

    assert errors == []
    assert totals and set(totals) == {40}


def test_reindexing_one_seller_restores_what_jobs_missed(backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    missed = catalog.product(acme, "Unindexed Lamp", index=False)
    deleted = catalog.product(acme, "Deleted Lamp")
    catalog.delete(acme, deleted, index=False)
    other = catalog.product(globex, "Globex Lamp")

    written = services.reindex("acme")
    backend.refresh()

    assert written == 1
    assert visible_ids(backend) == {(acme.id, missed), (globex.id, other)}


def test_the_reindex_command_reports_what_it_wrote(app, backend, catalog):
    acme = catalog.seller("acme")
    make_products(catalog, acme, 3, "Acme")

    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    backend.refresh()

    assert result.exit_code == 0, result.output
    assert "reindexed 3 documents" in result.output
    assert backend.search(SearchQuery()).total == 3


def test_the_reindex_command_refuses_an_unknown_seller(app, backend):
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--tenant", "nobody"])

    assert result.exit_code == 2
    assert "nobody" in result.output
