"""The search port: what the marketplace needs from a search engine, and what it gets back.

Two backends implement it and pass one contract suite (`tests/search`):
`PostgresSearchBackend` (full text in the shared schema, the embedded
default) and `OpenSearchBackend` (production). Services talk to the port
only, so a backend can be swapped by configuration.

Every search a buyer makes goes through `search` / `suggest`, and every
implementation must add the buyer filter itself: published products of
active sellers, whatever the query asks for. "Active" is the registry's
status at the moment of the query: a suspended seller vanishes at once,
before the status job has rewritten its documents' `seller_active`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol

from marketplace.search.documents import ProductDocument
from marketplace.search.query import SearchQuery, SuggestQuery


@dataclass(frozen=True)
class SearchHit:
    seller_id: int
    product_id: int
    score: float | None
    document: ProductDocument


@dataclass(frozen=True)
class CategoryCount:
    category_id: int
    count: int


@dataclass(frozen=True)
class SellerCount:
    seller_id: int
    seller_slug: str
    seller_name: str
    count: int


@dataclass(frozen=True)
class PriceRangeCount:
    from_amount: int
    to_amount: int | None
    count: int


@dataclass(frozen=True)
class ValueCount:
    value: str
    count: int


@dataclass(frozen=True)
class Facets:
    """Counts of the matching products, each facet ignoring its own selection (multi-select).

    A buyer who ticked "blue" still sees how many "red" products there are,
    so that ticking "red" as well can be offered with a count.
    """

    categories: list[CategoryCount] = field(default_factory=list)
    sellers: list[SellerCount] = field(default_factory=list)
    price_ranges: list[PriceRangeCount] = field(default_factory=list)
    attributes: dict[str, list[ValueCount]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: Facets


@dataclass(frozen=True)
class Suggestion:
    text: str
    seller_slug: str
    product_slug: str


@dataclass(frozen=True)
class IndexReport:
    """What a write did: documents written, and those skipped because a newer version is indexed."""

    written: int = 0
    stale: int = 0


@dataclass(frozen=True)
class ReindexProgress:
    """Reported after each batch of a reindex (the CLI prints it)."""

    tenant_id: int
    documents_done: int


@dataclass(frozen=True)
class Health:
    backend: str
    healthy: bool
    detail: str = ""


class SearchUnavailable(RuntimeError):
    """The search engine could not answer (down, timing out, overloaded)."""


class IndexingFailed(RuntimeError):
    """Some documents could not be written, after retries; carries the reasons by document id."""

    def __init__(self, failures: dict[str, str]):
        self.failures = failures
        listed = "; ".join(f"{doc_id}: {reason}" for doc_id, reason in list(failures.items())[:5])
        super().__init__(f"{len(failures)} search document(s) could not be indexed: {listed}")


class DocumentSource(Protocol):
    """The catalog as a reindex reads it (the source of truth); `documents.CatalogDocuments` in the app."""

    def seller_ids(self) -> list[int]:
        """Sellers whose documents belong in the index (provisioned and not closed)."""

    def documents(self, seller_id: int) -> Iterable[list[ProductDocument]]:
        """A seller's current documents, in batches."""

    def product_ids(self, seller_id: int) -> set[int]:
        """Ids of the seller's products now: any other indexed document of it is stale."""

    def seller_active(self, seller_id: int) -> bool:
        """Whether buyers may see the seller now."""


class SearchBackend(Protocol):
    name: str

    def index_documents(self, documents: list[ProductDocument]) -> IndexReport:
        """Write documents; one whose version is not newer than the indexed one is skipped (stale)."""

    def delete_documents(self, seller_id: int, product_ids: list[int]) -> None:
        """Remove products from the index (gone from the catalog)."""

    def search(self, query: SearchQuery) -> SearchResult:
        """One page of matching products with totals and facets, buyer filter included."""

    def suggest(self, query: SuggestQuery) -> list[Suggestion]:
        """Product titles completing what the buyer has typed so far, buyer filter included."""

    def set_tenant_active(self, seller_id: int, active: bool) -> None:
        """Show or hide every product of a seller to buyers, visible to the next search."""

    def reindex_tenant(self, seller_id: int, source: DocumentSource,
                       progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Write one seller's documents from `source` and drop those no longer in it; returns the count."""

    def reindex_all(self, source: DocumentSource,
                    progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Rebuild every seller's documents while writes go on; searches never fail or come back empty."""

    def drop_tenant(self, seller_id: int) -> None:
        """Remove every document of a seller (the tenant was closed)."""

    def refresh(self) -> None:
        """Make every write so far visible to searches (a no-op where a commit already does)."""

    def health(self) -> Health:
        """Whether the engine answers, decided within a few seconds (/readyz waits on it)."""
