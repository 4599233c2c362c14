"""A seller's status reaches search at once: suspended sellers vanish, closed ones are removed."""
from __future__ import annotations

import pytest

from marketplace.search.query import SearchQuery, SuggestQuery
from tenants.models import TenantStatus
from tests.search.catalog import count_documents


@pytest.fixture
def sellers(backend, catalog):
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    catalog.product(acme, "Acme Anvil", description="Heavy iron anvil")
    catalog.product(acme, "Acme Rocket Skates", description="Fast skates")
    catalog.product(globex, "Globex Anvil", description="Light anvil")
    backend.refresh()
    return acme, globex


def seller_slugs(result) -> set[str]:
    return {hit.document.seller_slug for hit in result.hits}


def test_suspending_a_seller_hides_its_products_from_results_facets_and_suggestions_at_once(backend, catalog,
                                                                                            sellers):
    acme, _ = sellers

    catalog.set_status(acme, TenantStatus.SUSPENDED)

    # No refresh and no reindex between the status change and the searches.
    result = backend.search(SearchQuery(text="anvil"))
    assert seller_slugs(result) == {"globex"}
    assert result.total == 1
    assert [count.seller_slug for count in result.facets.sellers] == ["globex"]
    assert backend.suggest(SuggestQuery(prefix="acme")) == []
    assert backend.search(SearchQuery().in_storefront(acme.id)).total == 0


def test_resuming_a_seller_shows_its_products_again(backend, catalog, sellers):
    acme, _ = sellers
    catalog.set_status(acme, TenantStatus.SUSPENDED)

    catalog.set_status(acme, TenantStatus.ACTIVE)

    result = backend.search(SearchQuery(text="anvil"))
    assert seller_slugs(result) == {"acme", "globex"}
    assert [suggestion.text for suggestion in backend.suggest(SuggestQuery(prefix="acme r"))] == ["Acme Rocket Skates"]


def test_a_product_added_while_its_seller_is_suspended_stays_hidden(backend, catalog, sellers):
    acme, _ = sellers
    catalog.set_status(acme, TenantStatus.SUSPENDED)

    catalog.product(acme, "Acme Giant Anvil", description="Even heavier")
    backend.refresh()

    assert backend.search(SearchQuery(text="giant")).total == 0
    assert backend.suggest(SuggestQuery(prefix="acme g")) == []


def test_closing_a_seller_removes_its_documents(backend, catalog, sellers):
    acme, _ = sellers

    catalog.set_status(acme, TenantStatus.CLOSED)
    catalog.set_status(acme, TenantStatus.CLOSED)  # a repeated job changes nothing

    backend.refresh()
    assert seller_slugs(backend.search(SearchQuery(text="anvil"))) == {"globex"}
    assert count_documents(backend, acme.id) == 0



def test_a_seller_suspended_right_after_a_write_is_hidden_too(backend, catalog):
    acme = catalog.seller("acme")
    catalog.product(acme, "Acme Anvil")

    catalog.set_status(acme, TenantStatus.SUSPENDED)  # no refresh between the write and the suspension

    assert backend.search(SearchQuery(text="anvil")).total == 0


def test_each_backend_hides_a_seller_the_registry_suspended_before_its_status_job_runs(backend, sellers, sql):
    acme, _ = sellers

    sql("UPDATE platform.tenants SET status = 'suspended' WHERE id = :id", id=acme.id)  # the job never runs

    result = backend.search(SearchQuery(text="anvil"))
    assert seller_slugs(result) == {"globex"}
    assert [count.seller_slug for count in result.facets.sellers] == ["globex"]
    assert backend.suggest(SuggestQuery(prefix="acme")) == []
    # A storefront search that passed its visibility check just before the suspension.
    assert backend.search(SearchQuery().in_storefront(acme.id)).total == 0
    assert backend.suggest(SuggestQuery(prefix="acme", seller_id=acme.id)) == []
