"""Search use cases: buyer searches and suggestions, and keeping the index in step with the catalog.

Buyers read through the port (`get_search_backend()`), which always applies
the buyer filter. Writers never patch documents: they name products, and
`index_products` rebuilds their documents from the catalog. Follow-up work
reaches these functions through the outbox and `marketplace.search.jobs`:

    uow.add_message("marketplace.search.jobs.index_products",
                    {"tenant_id": tenant.id, "product_ids": [product.id]}, queue="search")
    uow.add_message("marketplace.search.jobs.sync_tenant_status", {"tenant_id": tenant.id}, queue="search")
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from marketplace.catalog.models import Category
from marketplace.core.errors import ApiError
from marketplace.search import get_search_backend
from marketplace.search.documents import CatalogDocuments, load_documents, load_tenant
from marketplace.search.port import (
    IndexReport, ReindexProgress, SearchResult, SearchUnavailable, Suggestion,
)
from marketplace.search.query import SearchQuery, SuggestQuery
from tenants.models import TenantStatus
from tenants.registry import get_tenant_by_slug
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)


class SearchDown(ApiError):
    status, code = 503, "unavailable"

    def __init__(self) -> None:
        super().__init__("Search is unavailable right now; try again shortly.", headers={"Retry-After": "5"})


class NeedsOpenSearch(RuntimeError):
    """The operation exists only with the OpenSearch backend."""


@dataclass(frozen=True)
class SearchPage:
    result: SearchResult
    query: SearchQuery
    # category id -> (name, slug), for the category facet
    categories: dict[int, tuple[str, str]]


def search_marketplace(query: SearchQuery) -> SearchPage:
    """Products of every active seller matching `query`."""
    return _search(query)


def search_storefront(seller_slug: str, query: SearchQuery) -> SearchPage:
    """One seller's products matching `query`; a seller buyers cannot see is not found."""
    return _search(query.in_storefront(get_tenant_by_slug(seller_slug, active_only=True).id))


def suggest(prefix: str, limit: int, seller_slug: str | None = None) -> list[Suggestion]:
    seller_id = get_tenant_by_slug(seller_slug, active_only=True).id if seller_slug is not None else None
    try:
        return get_search_backend().suggest(SuggestQuery(prefix=prefix, limit=limit, seller_id=seller_id))
    except SearchUnavailable as error:
        log.error("search backend unavailable: %s", error)
        raise SearchDown() from error


def index_products(tenant_id: int, product_ids: list[int]) -> IndexReport:
    """Rebuild the documents of some of a tenant's products from its catalog (deleted ones are removed)."""
    tenant = load_tenant(tenant_id)
    backend = get_search_backend()
    if tenant is None or tenant.status == TenantStatus.CLOSED:
        backend.delete_documents(tenant_id, product_ids)
        return IndexReport()
    loaded = load_documents(tenant, product_ids)
    report = backend.index_documents(loaded.documents)
    backend.delete_documents(tenant_id, loaded.missing_product_ids)
    return report


def sync_tenant_status(tenant_id: int) -> None:
    """Show, hide or remove a tenant's products after its status changed (suspend, resume, close)."""
    tenant = load_tenant(tenant_id)
    backend = get_search_backend()
    if tenant is None or tenant.status == TenantStatus.CLOSED:
        backend.drop_tenant(tenant_id)
    else:
        backend.set_tenant_active(tenant_id, tenant.status == TenantStatus.ACTIVE)


def reindex(seller_slug: str | None = None, progress: Callable[[ReindexProgress], None] | None = None) -> int:
    """Rebuild the index from the catalog (one seller, or everything); returns the documents written."""
    backend = get_search_backend()
    if seller_slug is None:
        return backend.reindex_all(CatalogDocuments(), progress)
    return backend.reindex_tenant(get_tenant_by_slug(seller_slug).id, CatalogDocuments(), progress)


def move_tenant(seller_slug: str, dedicated: bool, progress: Callable[[ReindexProgress], None] | None = None) -> str:
    """Move a seller to an OpenSearch index of its own, or back to the pooled one; returns its new index."""
    from marketplace.search.opensearch_backend import OpenSearchBackend

    backend = get_search_backend()
    if not isinstance(backend, OpenSearchBackend):
        raise NeedsOpenSearch("moving a seller between indices needs the OpenSearch backend (set OPENSEARCH_URL)")
    return backend.move_tenant(get_tenant_by_slug(seller_slug).id, dedicated, CatalogDocuments(), progress)


def _search(query: SearchQuery) -> SearchPage:
    try:
        result = get_search_backend().search(query)
    except SearchUnavailable as error:
        log.error("search backend unavailable: %s", error)
        raise SearchDown() from error
    return SearchPage(result, query, _category_labels([count.category_id for count in result.facets.categories]))


def _category_labels(category_ids: list[int]) -> dict[int, tuple[str, str]]:
    if not category_ids:
        return {}
    with UnitOfWork() as uow:
        rows = uow.session.execute(
            select(Category.id, Category.name, Category.slug).where(Category.id.in_(category_ids))).all()
    return {row.id: (row.name, row.slug) for row in rows}
