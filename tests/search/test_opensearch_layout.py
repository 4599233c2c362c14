"""What only the OpenSearch backend has: per-seller aliases, versioned pooled indices, dedicated indices."""
from __future__ import annotations

from marketplace.search import services
from marketplace.search.documents import CatalogDocuments
from marketplace.search.query import SearchQuery


def pooled_indices(backend) -> list[str]:
    indices = backend.client.indices.get(index=backend.names.all_indices)
    return sorted(index for index in indices if backend.names.is_pooled(index))


def test_a_sellers_alias_never_returns_another_sellers_product(opensearch_backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    catalog.product(acme, "Acme Anvil")
    catalog.product(globex, "Globex Anvil")
    opensearch_backend.refresh()

    everything = opensearch_backend.client.search(index=opensearch_backend.names.seller_alias(acme.id),
                                                  body={"query": {"match_all": {}}})
    asking_for_globex = opensearch_backend.client.search(
        index=opensearch_backend.names.seller_alias(acme.id), body={"query": {"term": {"seller_id": globex.id}}})

    assert [hit["_source"]["seller_slug"] for hit in everything["hits"]["hits"]] == ["acme"]
    assert asking_for_globex["hits"]["total"]["value"] == 0
    assert len(pooled_indices(opensearch_backend)) == 1


def test_a_full_reindex_swaps_in_a_new_pooled_index_and_drops_the_old(opensearch_backend, catalog):
    acme = catalog.seller("acme")
    catalog.product(acme, "Acme Anvil")
    before = pooled_indices(opensearch_backend)

    services.reindex()
    opensearch_backend.refresh()

    after = pooled_indices(opensearch_backend)
    assert len(after) == 1 and after != before
    assert opensearch_backend.layout.home_index(acme.id) == after[0]
    assert opensearch_backend.search(SearchQuery(text="anvil")).total == 1


def test_a_seller_moves_to_its_own_index_and_back_without_vanishing_or_showing_twice(opensearch_backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    for number in range(12):
        catalog.product(acme, f"Acme Anvil {number}")
    catalog.product(globex, "Globex Anvil")
    opensearch_backend.refresh()
    seen_during: list[tuple[int, int]] = []

    def search_during(progress) -> None:
        seen_during.append((opensearch_backend.search(SearchQuery(text="anvil")).total,
                            opensearch_backend.search(SearchQuery().in_storefront(acme.id)).total))

    dedicated = services.move_tenant("acme", dedicated=True, progress=search_during)
    catalog.product(acme, "Acme Anvil Late")
    opensearch_backend.refresh()
    in_dedicated = opensearch_backend.client.count(index=dedicated)["count"]
    marketplace_total = opensearch_backend.search(SearchQuery(text="anvil")).total
    pooled = services.move_tenant("acme", dedicated=False, progress=search_during)
    opensearch_backend.refresh()

    assert set(seen_during) == {(13, 12), (14, 13)}
    assert dedicated == f"{opensearch_backend.names.prefix}products_t{acme.id}_v2"
    assert (in_dedicated, marketplace_total) == (13, 14)
    assert pooled == pooled_indices(opensearch_backend)[0]
    assert not opensearch_backend.client.indices.exists(index=dedicated)
    assert opensearch_backend.search(SearchQuery(text="anvil")).total == 14
    assert opensearch_backend.search(SearchQuery().in_storefront(acme.id)).total == 13


def test_a_full_reindex_leaves_a_dedicated_seller_where_it_is(opensearch_backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    catalog.product(acme, "Acme Anvil")
    catalog.product(globex, "Globex Anvil")
    dedicated = services.move_tenant("acme", dedicated=True)

    opensearch_backend.reindex_all(CatalogDocuments())
    opensearch_backend.refresh()

    assert opensearch_backend.layout.home_index(acme.id) == dedicated
    assert opensearch_backend.search(SearchQuery(text="anvil")).total == 2


def test_moving_needs_opensearch(app, backend, catalog):
    catalog.seller("acme")

    result = app.test_cli_runner().invoke(args=["search", "move-tenant", "acme", "--dedicated"])

    if backend.name == "opensearch":
        assert result.exit_code == 0, result.output
        assert "now searches" in result.output
    else:
        assert result.exit_code == 2
        assert "OpenSearch" in result.output


def test_closing_a_dedicated_seller_removes_its_index_and_every_document(opensearch_backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    catalog.product(acme, "Acme Anvil")
    catalog.product(globex, "Globex Anvil")
    dedicated = services.move_tenant("acme", dedicated=True)

    opensearch_backend.drop_tenant(acme.id)
    opensearch_backend.refresh()

    assert not opensearch_backend.client.indices.exists(index=dedicated)
    assert [hit.document.seller_slug for hit in opensearch_backend.search(SearchQuery(text="anvil")).hits] == ["globex"]
    assert opensearch_backend.client.count(index=opensearch_backend.names.all_indices,
                                           body={"query": {"term": {"seller_id": acme.id}}})["count"] == 0
