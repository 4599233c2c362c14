"""The OpenSearch search backend (opensearch-py): pooled versioned index, per-seller aliases, bulk writes.

Index and alias layout: `opensearch_layout`. Request bodies: `opensearch_dsl`.

Versions. Every write carries the product row's version as an external
version (`version_type=external`), so OpenSearch itself refuses a document
older than, or as old as, the one it holds: a late job never overwrites
newer data. `set_tenant_active` rewrites documents in place with
update_by_query, which adds one to each document's version; the external
version is therefore the row version times `VERSION_STEP`, leaving room for
that many status changes between two versions of a product.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

import orjson
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import NotFoundError, OpenSearchException, TransportError
from sqlalchemy import select

from marketplace.search.documents import ProductDocument
from marketplace.search.opensearch_dsl import attribute_pair, search_body, suggest_body, ATTRIBUTE_SEPARATOR
from marketplace.search.opensearch_layout import Layout, Names, pooled_read_filter, seller_alias_definition
from marketplace.search.port import (
    CategoryCount, DocumentSource, Facets, Health, IndexingFailed, IndexReport, PriceRangeCount,
    ReindexProgress, SearchHit, SearchResult, SearchUnavailable, SellerCount, Suggestion,
)
from marketplace.search.query import SearchQuery, SuggestQuery, price_ranges
from marketplace.search.results import distinct_suggestions, ordered_attributes, ordered_categories, ordered_sellers
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

VERSION_STEP = 1 << 20
# Item statuses worth sending again: overloaded (429) or briefly unavailable.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
DOCUMENT_FIELDS = frozenset(ProductDocument.__dataclass_fields__)
# The whole budget of a health check, retries included.
HEALTH_TIMEOUT_SECONDS = 2.0


class AlreadyInPlace(ValueError):
    """The seller already has the kind of index it was asked to move to."""


@dataclass(frozen=True)
class BulkAction:
    op: str  # "index" or "delete"
    alias: str
    doc_id: str
    routing: str
    version: int | None = None
    source: dict | None = None

    def lines(self) -> list[bytes]:
        meta: dict[str, Any] = {"_index": self.alias, "_id": self.doc_id, "routing": self.routing}
        if self.op == "index":
            meta.update(version=self.version, version_type="external")
            return [orjson.dumps({"index": meta}), orjson.dumps(self.source, default=str)]
        return [orjson.dumps({"delete": meta})]


class OpenSearchBackend:
    name = "opensearch"

    def __init__(self, client: OpenSearch, prefix: str = "", shards: int = 1, replicas: int = 0,
                 chunk_size: int = 500, max_retries: int = 3, retry_backoff_seconds: float = 0.5):
        self.client = client
        self.names = Names(prefix)
        self.layout = Layout(client, self.names, shards, replicas)
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.retry_backoff_seconds = retry_backoff_seconds

    @classmethod
    def from_url(cls, url: str, prefix: str = "", **options) -> "OpenSearchBackend":
        client = OpenSearch(hosts=[url], timeout=30, max_retries=2, retry_on_timeout=True)
        return cls(client, prefix, **options)

    # Writes

    def index_documents(self, documents: list[ProductDocument]) -> IndexReport:
        written = stale = 0
        for seller_id, batch in _by_seller(documents).items():
            report = self._write(batch, self.layout.write_aliases(seller_id))
            written += report.written
            stale += report.stale
        return IndexReport(written, stale)

    def delete_documents(self, seller_id: int, product_ids: list[int]) -> None:
        if not product_ids:
            return  # the usual case of an indexing job: spare it the alias look-up
        self._delete(seller_id, product_ids, self.layout.write_aliases(seller_id, create=False))

    def _delete(self, seller_id: int, product_ids: list[int], aliases: list[str]) -> None:
        if not product_ids or not aliases:
            return
        actions = [BulkAction("delete", alias, f"{seller_id}-{product_id}", str(seller_id))
                   for product_id in product_ids for alias in aliases]
        self._raise_failures(actions, self._bulk(actions))

    def set_tenant_active(self, seller_id: int, active: bool) -> None:
        for alias in self.layout.write_aliases(seller_id, create=False):
            self._update_seller_active(alias, seller_id, active)

    def drop_tenant(self, seller_id: int) -> None:
        home = self.layout.home_index(seller_id)
        if home is None:
            return
        for alias in self.layout.write_aliases(seller_id, create=False):
            self._delete_seller_documents(alias, seller_id)
        seller_alias = self.names.seller_alias(seller_id)
        if self.names.is_pooled(home):
            self.client.indices.delete_alias(index=home, name=seller_alias)
            return
        # Its documents left hidden in the pooled index would show again once the filter forgets it.
        pooled = self.layout.pooled_index()
        self._delete_seller_documents(pooled, seller_id)
        remaining = [other for other in self.layout.dedicated_seller_ids() if other != seller_id]
        self.layout.update_aliases([
            {"add": {"index": pooled, "alias": self.names.read_alias, **pooled_read_filter(remaining)}},
            {"remove_index": {"index": home}},
        ])

    # Reads

    def search(self, query: SearchQuery) -> SearchResult:
        index = self.names.seller_alias(query.seller_id) if query.seller_id is not None else self.names.read_alias
        body = search_body(query, hidden_seller_ids=_hidden_seller_ids())
        try:
            response = self._call(self.client.search, index=index, body=body)
        except NotFoundError:
            # Nothing indexed yet (no index, or a seller without an alias): nothing to find.
            return SearchResult(0, [], Facets(price_ranges=[PriceRangeCount(low, high, 0)
                                                            for low, high in price_ranges()]))
        hits = [SearchHit(hit["_source"]["seller_id"], hit["_source"]["product_id"], hit.get("_score"),
                          _document(hit["_source"])) for hit in response["hits"]["hits"]]
        return SearchResult(response["hits"]["total"]["value"], hits, _facets(query, response["aggregations"]))

    def suggest(self, query: SuggestQuery) -> list[Suggestion]:
        index = self.names.seller_alias(query.seller_id) if query.seller_id is not None else self.names.read_alias
        body = suggest_body(query, hidden_seller_ids=_hidden_seller_ids())
        try:
            response = self._call(self.client.search, index=index, body=body)
        except NotFoundError:
            return []
        candidates = (Suggestion(hit["_source"]["title"], hit["_source"]["seller_slug"],
                                 hit["_source"]["product_slug"]) for hit in response["hits"]["hits"])
        return distinct_suggestions(candidates, query.limit)

    # Reindexing and moving sellers

    def reindex_tenant(self, seller_id: int, source: DocumentSource,
                       progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Write a seller's current documents where it lives now, then drop those of deleted products.

        Documents are written with their versions, so this adds what is
        missing and updates what is older; a full reindex (a new index) is
        what rewrites documents whose version has not changed.
        """
        aliases = self.layout.write_aliases(seller_id)
        written = self._fill(seller_id, source, aliases, progress)
        self.client.indices.refresh(index=aliases[0])
        self._drop_deleted_products(seller_id, source, aliases[0])
        self.set_tenant_active(seller_id, source.seller_active(seller_id))
        return written

    def reindex_all(self, source: DocumentSource, progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Fill the next pooled index while writes go to both, then swap every alias in one call.

        Searches keep reading the current index until the swap, so none
        fails or comes back empty. Sellers in a dedicated index are left
        where they are (move them back and forth to rebuild theirs).
        """
        old = self.layout.pooled_index()
        new = self.names.pooled_index(self.layout.next_generation())
        pending = self.names.pool_pending_alias
        self.layout.create_index(new)
        self.layout.update_aliases([{"add": {"index": new, "alias": pending}}])
        try:
            dedicated = set(self.layout.dedicated_seller_ids())
            statuses = {seller_id: source.seller_active(seller_id)
                        for seller_id in source.seller_ids() if seller_id not in dedicated}
            written = sum(self._fill(seller_id, source, [pending], progress) for seller_id in statuses)
            self.client.indices.refresh(index=new)
            current_sellers = set(source.seller_ids())
            self._settle_filled_sellers(new, pending, statuses, current_sellers, source)
            pooled_sellers = (set(statuses) | set(self.layout.pooled_seller_ids(old))) & current_sellers - dedicated
            old_seller_aliases = [self.names.seller_alias(seller_id)
                                  for seller_id in self.layout.pooled_seller_ids(old)]
            self.layout.update_aliases([
                {"remove": {"index": old, "alias": self.names.read_alias}},
                {"add": {"index": new, "alias": self.names.read_alias, **pooled_read_filter(sorted(dedicated))}},
                *[{"remove": {"index": old, "alias": alias}} for alias in old_seller_aliases],
                *[{"add": {"index": new, "alias": self.names.seller_alias(seller_id),
                           **seller_alias_definition(seller_id)}} for seller_id in sorted(pooled_sellers)],
                {"remove": {"index": new, "alias": pending}},
            ])
        except Exception:
            log.exception("reindex into %s failed; %s stays current", new, old)
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self.client.indices.delete(index=old)
        return written

    def move_tenant(self, seller_id: int, dedicated: bool, source: DocumentSource,
                    progress: Callable[[ReindexProgress], None] | None = None) -> str:
        """Give a seller an index of its own, or take it back into the pooled index; returns the new home.

        The target is filled from the catalog while writes go to both
        indices, then one `_aliases` call moves the seller's alias and the
        read alias's view of it, so buyers never see it twice or not at all.
        """
        self.layout.write_aliases(seller_id)  # a seller never indexed gets its alias on the pooled index
        home = self.layout.home_index(seller_id)
        pooled = self.layout.pooled_index()
        if dedicated == (not self.names.is_pooled(home)):
            where = "in its own index" if dedicated else "in the pooled index"
            raise AlreadyInPlace(f"seller {seller_id} is already {where}")
        target = self.names.dedicated_index(seller_id, self.layout.next_generation()) if dedicated else pooled
        if dedicated:
            self.layout.create_index(target)
        pending = self.names.seller_pending_alias(seller_id)
        self.layout.update_aliases([{"add": {"index": target, "alias": pending}}])
        self._fill(seller_id, source, [pending], progress)
        self.client.indices.refresh(index=target)
        self._drop_deleted_products(seller_id, source, pending)
        self._update_seller_active(pending, seller_id, source.seller_active(seller_id))
        others = set(self.layout.dedicated_seller_ids()) - {seller_id}
        seller_alias = self.names.seller_alias(seller_id)
        self.layout.update_aliases([
            {"remove": {"index": home, "alias": seller_alias}},
            {"add": {"index": target, "alias": seller_alias, **seller_alias_definition(seller_id)}},
            {"remove": {"index": target, "alias": pending}},
            {"add": {"index": pooled, "alias": self.names.read_alias,
                     **pooled_read_filter(sorted(others | {seller_id} if dedicated else others))}},
            {"add": {"index": target, "alias": self.names.read_alias}} if dedicated
            else {"remove": {"index": home, "alias": self.names.read_alias}},
        ])
        # Moving out leaves the seller's documents in the pooled index, hidden by the read alias's
        # filter: deleting them would leave version tombstones that refuse the same versions when the
        # seller moves back (within index.gc_deletes). Moving back updates them; a full reindex drops them.
        if not dedicated:
            self.client.indices.delete(index=home)
        return target

    # Upkeep

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.names.all_indices, allow_no_indices=True, ignore_unavailable=True)

    def health(self) -> Health:
        """The cluster's status, within about `HEALTH_TIMEOUT_SECONDS` whatever the node does (/readyz waits on it).

        The transport tries a request up to `max_retries + 1` times (another
        node each time, in a cluster), so each attempt gets its share of the
        budget: a hung node is reported in seconds, not after the client's
        30 s timeout three times over.
        """
        attempts = self.client.transport.max_retries + 1
        try:
            status = self.client.cluster.health(request_timeout=HEALTH_TIMEOUT_SECONDS / attempts)["status"]
        except OpenSearchException as error:  # unreachable, timed out, refused, or not an OpenSearch answer
            return Health(self.name, False, str(error))
        return Health(self.name, status in {"green", "yellow"}, f"cluster {status}")

    # Internals

    def _fill(self, seller_id: int, source: DocumentSource, aliases: list[str],
              progress: Callable[[ReindexProgress], None] | None) -> int:
        written = 0
        for batch in source.documents(seller_id):
            self._write(batch, aliases)
            written += len(batch)
            if progress:
                progress(ReindexProgress(seller_id, written))
        return written

    def _settle_filled_sellers(self, index: str, alias: str, statuses_before: dict[int, bool],
                               current_sellers: set[int], source: DocumentSource) -> None:
        """Correct what changed while the new index was filled: deletions, closures and status changes."""
        for seller_id, active_before in statuses_before.items():
            if seller_id not in current_sellers:
                self._delete_seller_documents(index, seller_id)
                continue
            self._drop_deleted_products(seller_id, source, alias)
            active_now = source.seller_active(seller_id)
            if active_now != active_before:
                self._update_seller_active(index, seller_id, active_now)

    def _drop_deleted_products(self, seller_id: int, source: DocumentSource, alias: str) -> None:
        """Delete the documents behind `alias` (and wherever the seller's writes go) of deleted products."""
        hits = helpers.scan(self.client, index=alias, routing=str(seller_id), _source=["product_id"],
                            query={"query": {"term": {"seller_id": seller_id}}})
        indexed = {hit["_source"]["product_id"] for hit in hits}
        # Read after the index: a product created meanwhile is in it, so its document stays.
        deleted = sorted(indexed - source.product_ids(seller_id))
        aliases = set(self.layout.write_aliases(seller_id, create=False)) | {alias}
        self._delete(seller_id, deleted, sorted(aliases))

    def _delete_seller_documents(self, index: str, seller_id: int) -> None:
        self.client.indices.refresh(index=index)  # by-query requests see only refreshed documents
        self.client.delete_by_query(index=index, body={"query": {"term": {"seller_id": seller_id}}},
                                    routing=str(seller_id), refresh=True, conflicts="proceed")

    def _update_seller_active(self, index: str, seller_id: int, active: bool) -> None:
        body = {
            "query": {"bool": {"filter": [{"term": {"seller_id": seller_id}}],
                               "must_not": [{"term": {"seller_active": active}}]}},
            "script": {"lang": "painless", "source": "ctx._source.seller_active = params.active",
                       "params": {"active": active}},
        }
        for _ in range(self.max_retries + 1):
            # By-query requests see only refreshed documents: refresh first, or a product written
            # in the last second would keep showing a suspended seller.
            self.client.indices.refresh(index=index)
            # A document rewritten meanwhile is a conflict; it is picked up by the next pass.
            result = self.client.update_by_query(index=index, body=body, routing=str(seller_id),
                                                 refresh=True, conflicts="proceed")
            if not result.get("version_conflicts"):
                return
        raise IndexingFailed({f"seller {seller_id}": "documents kept changing while their status was updated"})

    def _write(self, documents: list[ProductDocument], aliases: list[str]) -> IndexReport:
        actions = [
            BulkAction("index", alias, document.doc_id, str(document.seller_id),
                       document.version * VERSION_STEP, _source(document))
            for document in documents for alias in aliases
        ]
        results = self._bulk(actions)
        self._raise_failures(actions, results)
        primary = [result for action, result in zip(actions, results) if action.alias == aliases[0]]
        stale = sum(1 for result in primary if result["status"] == 409)
        return IndexReport(written=len(primary) - stale, stale=stale)

    def _bulk(self, actions: list[BulkAction]) -> list[dict]:
        """Send actions in chunks; items refused as overloaded are sent again with a growing backoff."""
        results: list[dict] = [{} for _ in actions]
        for start in range(0, len(actions), self.chunk_size):
            pending = list(range(start, min(start + self.chunk_size, len(actions))))
            for attempt in range(self.max_retries + 1):
                body = b"\n".join(line for position in pending for line in actions[position].lines()) + b"\n"
                items = self._call(self.client.bulk, body=body, require_alias=True)["items"]
                retry = []
                for position, item in zip(pending, items):
                    outcome = next(iter(item.values()))
                    if outcome["status"] in RETRYABLE_STATUSES and attempt < self.max_retries:
                        retry.append(position)
                    else:
                        results[position] = outcome
                if not retry:
                    break
                log.warning("search bulk: %d item(s) refused, retrying (attempt %d)", len(retry), attempt + 1)
                time.sleep(self.retry_backoff_seconds * 2 ** attempt)
                pending = retry
        return results

    def _raise_failures(self, actions: list[BulkAction], results: list[dict]) -> None:
        failures = {}
        for action, result in zip(actions, results):
            if not _acceptable(action, result):
                error = result.get("error") or {}
                failures[f"{action.alias}/{action.doc_id}"] = f"{result.get('status')} {error.get('type', '')}: " \
                                                              f"{error.get('reason', '')}"
        if failures:
            raise IndexingFailed(failures)

    def _call(self, method: Callable, **kwargs) -> Any:
        """A request whose transport failures become SearchUnavailable (a 503 to clients)."""
        for attempt in range(self.max_retries + 1):
            try:
                return method(**kwargs)
            except NotFoundError:
                raise
            except TransportError as error:
                if error.status_code == 429 and attempt < self.max_retries:
                    log.warning("search request refused as overloaded, retrying (attempt %d)", attempt + 1)
                    time.sleep(self.retry_backoff_seconds * 2 ** attempt)
                    continue
                if isinstance(error, TransportConnectionError) or _server_side(error.status_code):
                    raise SearchUnavailable(str(error)) from error
                raise


def _hidden_seller_ids() -> list[int]:
    """Sellers buyers may not see at this moment, read from the registry for every buyer query.

    Their documents say so only once the status job has run (suspended) or
    removed them (closed); until then this list hides them, as the
    PostgreSQL backend's join on the registry does. Closed sellers stay in
    it for good: ids only, one terms filter.
    """
    with UnitOfWork() as uow:
        return list(uow.session.scalars(select(Tenant.id).where(Tenant.status != TenantStatus.ACTIVE)))


def _server_side(status_code: Any) -> bool:
    return isinstance(status_code, int) and (status_code >= 500 or status_code == 429)


def _acceptable(action: BulkAction, result: dict) -> bool:
    status = result.get("status")
    if status in (200, 201):
        return True
    if action.op == "index" and status == 409:
        return True  # a newer version is indexed already: this one is stale
    if action.op == "delete" and status == 404 and result.get("result") == "not_found":
        return True
    # A pending alias swapped away while this was in flight: the seller's own alias took the write.
    error_type = (result.get("error") or {}).get("type")
    return status == 404 and error_type == "index_not_found_exception" and action.alias.endswith("_pending")


def _by_seller(documents: Iterable[ProductDocument]) -> dict[int, list[ProductDocument]]:
    grouped: dict[int, list[ProductDocument]] = {}
    for document in documents:
        grouped.setdefault(document.seller_id, []).append(document)
    return grouped


def _source(document: ProductDocument) -> dict:
    body = document.as_dict()
    body["attribute_pairs"] = [attribute_pair(name, value) for name, value in document.attributes.items()]
    body["published_at"] = document.published_at.isoformat() if document.published_at else None
    return body


def _document(source: dict) -> ProductDocument:
    fields = {key: value for key, value in source.items() if key in DOCUMENT_FIELDS}
    if fields.get("published_at"):
        fields["published_at"] = datetime.fromisoformat(fields["published_at"])
    return ProductDocument(**fields)


def _facets(query: SearchQuery, aggregations: dict) -> Facets:
    selected = {attribute.name for attribute in query.attributes}
    triples = [(*bucket["key"].split(ATTRIBUTE_SEPARATOR, 1), bucket["doc_count"])
               for bucket in aggregations["attributes"]["values"]["buckets"]]
    triples = [triple for triple in triples if triple[0] not in selected]
    for index, attribute in enumerate(query.attributes):
        triples += [(name, value, bucket["doc_count"])
                    for bucket in aggregations[f"attribute_{index}"]["values"]["buckets"]
                    for name, value in [bucket["key"].split(ATTRIBUTE_SEPARATOR, 1)] if name == attribute.name]
    return Facets(
        categories=ordered_categories(CategoryCount(int(bucket["key"]), bucket["doc_count"])
                                      for bucket in aggregations["categories"]["values"]["buckets"]),
        sellers=ordered_sellers(
            SellerCount(int(bucket["key"]), card["seller_slug"], card["seller_name"], bucket["doc_count"])
            for bucket in aggregations["sellers"]["values"]["buckets"]
            for card in [bucket["card"]["hits"]["hits"][0]["_source"]]
        ),
        price_ranges=[PriceRangeCount(int(bucket["from"]), int(bucket["to"]) if "to" in bucket else None,
                                      bucket["doc_count"])
                      for bucket in aggregations["prices"]["values"]["buckets"]],
        attributes=ordered_attributes(triples),
    )
