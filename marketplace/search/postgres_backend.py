"""The PostgreSQL search backend: documents in `platform.search_documents`, PostgreSQL full text.

Relevance is `ts_rank` over a weighted `tsvector` (title A, description B,
category names C, English stemming); suggestions are prefix matches on the
title's words (`'iph':*` on an unstemmed vector). The total and the
facets, each counted under every filter but its own (multi-select), come
from `postgres_facets` (one pass over the matching documents, or counts
stored per seller); the page is one more statement.

What it cannot do, unlike OpenSearch (the README says it too): forgive
typos, match inside words, or complete a misspelt prefix. The embedded
PostgreSQL ships without the pg_trgm extension, so there is no trigram
similarity to fall back on.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import (
    ColumnElement, Integer, and_, any_, delete, exists, func, literal, literal_column, or_, select, text, update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from marketplace.search.documents import ProductDocument
from marketplace.search.results import distinct_suggestions
from marketplace.search.models import SearchAttributeSet, SearchDocument
from marketplace.search.port import (
    DocumentSource, Health, IndexReport, ReindexProgress, SearchHit, SearchResult, Suggestion,
)
from marketplace.search.postgres_facets import (
    CATEGORY, PRICE, SELLER, attribute_facet, count_and_facets, recount_facets,
)
from marketplace.search.query import SearchQuery, SortOrder, SuggestQuery
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork

ENGLISH = literal_column("'english'::regconfig")
SIMPLE = literal_column("'simple'::regconfig")
WORD = re.compile(r"\w+", re.UNICODE)
# Documents written per statement: large enough to amortise the round trip, small enough for one packet.
WRITE_BATCH = 500
HEALTH_TIMEOUT_MS = 2000
# Enough for the facets' grouping of every buyer-visible document to stay in memory (hash tables, no
# sort spilled to disk); for the search's own transaction only.
SEARCH_WORK_MEM = "64MB"

doc = SearchDocument.__table__.c
attribute_set = SearchAttributeSet.__table__.c


class PostgresSearchBackend:
    name = "postgresql"

    def index_documents(self, documents: list[ProductDocument]) -> IndexReport:
        return self._upsert(documents, replace_same_version=False)

    def delete_documents(self, seller_id: int, product_ids: list[int]) -> None:
        if not product_ids:
            return
        with UnitOfWork() as uow:
            uow.session.execute(delete(SearchDocument).where(
                doc.tenant_id == seller_id, doc.product_id.in_(product_ids)))
            recount_facets(_driver_connection(uow), [seller_id])
            uow.commit()

    def search(self, query: SearchQuery) -> SearchResult:
        text_query = func.websearch_to_tsquery(ENGLISH, query.text) if query.text else None
        with UnitOfWork() as uow:
            session = uow.session
            session.execute(text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
            attribute_set_ids = _attribute_set_ids(session, query)
            selections = _selections(query, attribute_set_ids)
            total, facets = count_and_facets(session, query, _common_filters(query, text_query), selections,
                                             attribute_set_ids)
            hits = _page(session, query, text_query, selections) if query.offset < total else []
        return SearchResult(total=total, hits=hits, facets=facets)

    def suggest(self, query: SuggestQuery) -> list[Suggestion]:
        words = WORD.findall(query.prefix.lower())
        if not words:
            return []
        # Every word typed must start a word of the title; the last one may be unfinished.
        prefix_query = func.to_tsquery(SIMPLE, " & ".join(f"'{word}':*" for word in words))
        conditions = [*_buyer_filter(query.seller_id), doc.suggest_vector.op("@@")(prefix_query)]
        with UnitOfWork() as uow:
            rows = uow.session.execute(
                select(doc.title, doc.seller_slug, doc.product_slug).where(*conditions)
                .order_by(func.ts_rank(doc.suggest_vector, prefix_query).desc(), func.length(doc.title), doc.title)
                .limit(query.limit * 5)
            ).all()
        return distinct_suggestions((Suggestion(row.title, row.seller_slug, row.product_slug) for row in rows),
                                    query.limit)

    def set_tenant_active(self, seller_id: int, active: bool) -> None:
        with UnitOfWork() as uow:
            uow.session.execute(update(SearchDocument).where(
                doc.tenant_id == seller_id, doc.seller_active.is_distinct_from(active)).values(seller_active=active))
            recount_facets(_driver_connection(uow), [seller_id])
            uow.commit()

    def reindex_tenant(self, seller_id: int, source: DocumentSource,
                       progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Rewrite a seller's documents batch by batch (each batch commits, so searches never see a gap)."""
        written = 0
        for batch in source.documents(seller_id):
            # A reindex rewrites documents of the same version too: that is how a renamed category or
            # seller reaches them. An older version still never overwrites a newer one.
            self._upsert(batch, replace_same_version=True)
            written += len(batch)
            if progress:
                progress(ReindexProgress(seller_id, written))
        self._drop_deleted_products(seller_id, source)
        return written

    def reindex_all(self, source: DocumentSource, progress: Callable[[ReindexProgress], None] | None = None) -> int:
        """Reindex seller by seller in place; PostgreSQL's MVCC serves the old rows until each batch commits."""
        written = sum(self.reindex_tenant(seller_id, source, progress) for seller_id in source.seller_ids())
        with UnitOfWork() as uow:
            indexed_sellers = set(uow.session.scalars(select(doc.tenant_id).distinct()).all())
        # Read after the snapshot above: a seller created meanwhile is in this list, so it keeps its documents.
        gone = indexed_sellers - set(source.seller_ids())
        for seller_id in gone:
            self.drop_tenant(seller_id)
        return written

    def drop_tenant(self, seller_id: int) -> None:
        with UnitOfWork() as uow:
            uow.session.execute(delete(SearchDocument).where(doc.tenant_id == seller_id))
            recount_facets(_driver_connection(uow), [seller_id])
            uow.commit()

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible to the next search."""

    def health(self) -> Health:
        """Whether the documents table answers a read: the server is up and the shared schema has it."""
        try:
            with UnitOfWork() as uow:
                # /readyz waits on this: a locked or overloaded server is reported, not waited for.
                uow.session.execute(text(f"SET LOCAL statement_timeout = {HEALTH_TIMEOUT_MS}"))
                uow.session.execute(select(doc.product_id).limit(1))
        except DBAPIError as error:
            # OperationalError (down, timed out) and ProgrammingError (table missing: migrations behind).
            return Health(self.name, False, str(error.orig).strip())
        return Health(self.name, True, "documents table answers")

    def _upsert(self, documents: list[ProductDocument], replace_same_version: bool) -> IndexReport:
        """Insert or update the documents whose version is newer (or, reindexing, as new) than the stored one.

        One prepared statement run for every document (psycopg pipelines an
        executemany): a multi-row VALUES with a vector expression per row cost
        more to build and compile than to run (bench/search.py).
        """
        statement = _UPSERT_SAME_OR_NEWER if replace_same_version else _UPSERT_NEWER
        rows = [_row(document) for document in documents]
        with UnitOfWork() as uow:
            with _driver_connection(uow).cursor() as cursor:
                # Its own statement first: the upsert's snapshot then sees a set another batch added meanwhile.
                cursor.execute(_ADD_ATTRIBUTE_SETS, [_distinct_attributes(rows)])
                cursor.executemany(statement, rows)
                # Rows an upsert's WHERE refused (not newer) are not counted as affected.
                written = cursor.rowcount if documents else 0
            recount_facets(_driver_connection(uow), sorted({document.seller_id for document in documents}))
            uow.commit()
        return IndexReport(written=written, stale=len(documents) - written)

    def _drop_deleted_products(self, seller_id: int, source: DocumentSource) -> None:
        with UnitOfWork() as uow:
            indexed = set(uow.session.scalars(select(doc.product_id).where(doc.tenant_id == seller_id)).all())
        # Read after the indexed ids: a product created meanwhile is in it, so its document is kept.
        deleted = indexed - source.product_ids(seller_id)
        self.delete_documents(seller_id, sorted(deleted))


def _row(document: ProductDocument) -> dict[str, Any]:
    row = document.as_dict()
    row["attributes"] = Jsonb(document.attributes)
    row["category_names"] = " ".join(document.category_path_names)
    return row


def _distinct_attributes(rows: list[dict[str, Any]]) -> list[Jsonb]:
    """Each attributes object of the rows once."""
    distinct = {tuple(sorted(row["attributes"].obj.items())): row["attributes"] for row in rows}
    return list(distinct.values())


def _driver_connection(uow: UnitOfWork) -> psycopg.Connection:
    """The psycopg connection under the unit of work's transaction."""
    return uow.session.connection().connection.driver_connection


def _digest(attributes: str) -> str:
    """SQL of the key of an attributes object among the sets: SHA-256 of its JSONB text, canonical."""
    return f"sha256(convert_to(({attributes})::text, 'UTF8'))"


_ATTRIBUTE_SETS = f"{SearchAttributeSet.__table__.schema}.{SearchAttributeSet.__tablename__}"
# The attributes objects of a batch that no set holds yet, in the digests' order: two batches adding the same
# sets at once wait for each other in one order, never in a cycle. Only the missing ones: every insert
# attempted, even one that conflicts, would spend an id.
_ADD_ATTRIBUTE_SETS = (
    f"INSERT INTO {_ATTRIBUTE_SETS} (digest, attributes) "
    f"SELECT {_digest('given.attributes')}, given.attributes FROM unnest(%s::jsonb[]) AS given(attributes) "
    f"WHERE NOT EXISTS (SELECT FROM {_ATTRIBUTE_SETS} AS known WHERE known.digest = {_digest('given.attributes')}) "
    f"ORDER BY 1 ON CONFLICT (digest) DO NOTHING"
)
_DOCUMENT_COLUMNS = [column.name for column in SearchDocument.__table__.columns]
_UPDATED_COLUMNS = [column.name for column in SearchDocument.__table__.columns if not column.primary_key]
# The parameter of each column is the document field of its name (`tenant_id` is the document's seller),
# but for the vectors: the title weighs most (A), then the description (B), then the category names (C);
# suggestions match the title's words unstemmed; the attributes are named by their set's id too (the set is added
# first, `_ADD_ATTRIBUTE_SETS`). A parameter used twice is cast, or the server could
# deduce text for one use and varchar for the other.
_VALUES = {name: f"%({name})s" for name in _DOCUMENT_COLUMNS} | {
    "tenant_id": "%(seller_id)s",
    "title": "%(title)s::text",
    "description": "%(description)s::text",
    "search_vector": "setweight(to_tsvector('english', %(title)s::text), 'A')"
                     " || setweight(to_tsvector('english', %(description)s::text), 'B')"
                     " || setweight(to_tsvector('english', %(category_names)s::text), 'C')",
    "suggest_vector": "to_tsvector('simple', %(title)s::text)",
    "attributes": "%(attributes)s::jsonb",
    "attribute_set_id": f"(SELECT id FROM {_ATTRIBUTE_SETS} WHERE digest = {_digest('%(attributes)s::jsonb')})",
}


def _upsert_statement(newer_than_stored: str) -> str:
    table = f"{SearchDocument.__table__.schema}.{SearchDocument.__tablename__}"
    return (
        f"INSERT INTO {table} ({', '.join(_DOCUMENT_COLUMNS)}) "
        f"VALUES ({', '.join(_VALUES[name] for name in _DOCUMENT_COLUMNS)}) "
        f"ON CONFLICT (tenant_id, product_id) DO UPDATE SET "
        f"{', '.join(f'{name} = EXCLUDED.{name}' for name in _UPDATED_COLUMNS)} "
        f"WHERE EXCLUDED.version {newer_than_stored} {SearchDocument.__tablename__}.version"
    )


_UPSERT_NEWER = _upsert_statement(">")
_UPSERT_SAME_OR_NEWER = _upsert_statement(">=")


def _document(row) -> ProductDocument:
    """The document of a row of the table's columns."""
    return ProductDocument(
        seller_id=row.tenant_id, product_id=row.product_id, version=row.version, product_slug=row.product_slug,
        title=row.title, description=row.description, category_id=row.category_id,
        category_path_ids=list(row.category_path_ids), category_path_names=list(row.category_path_names),
        attributes=dict(row.attributes), min_price_amount=row.min_price_amount,
        max_price_amount=row.max_price_amount, currency=row.currency, in_stock=row.in_stock,
        rating=float(row.rating) if row.rating is not None else None, rating_count=row.rating_count,
        seller_slug=row.seller_slug, seller_name=row.seller_name, image_url=row.image_url,
        published=row.published, seller_active=row.seller_active, published_at=row.published_at,
    )


def _buyer_filter(seller_id: int | None) -> list[ColumnElement[bool]]:
    """Published products of sellers active now (of one seller in a storefront).

    A document's `seller_active` follows the registry only once the status
    job has run; the registry's own status hides a seller the moment an
    operator suspends or closes it. The flag stays first: the partial index
    of visible documents is defined on it.
    """
    seller_active_now = exists().where(Tenant.id == doc.tenant_id, Tenant.status == TenantStatus.ACTIVE)
    clauses: list[ColumnElement[bool]] = [doc.published, doc.seller_active, seller_active_now]
    if seller_id is not None:
        clauses.append(doc.tenant_id == seller_id)
    return clauses


def _filters(query: SearchQuery, text_query, selections: dict[str, ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The WHERE of a search: what every facet counts under, then the buyer's selections."""
    return [*_common_filters(query, text_query), *selections.values()]


def _common_filters(query: SearchQuery, text_query) -> list[ColumnElement[bool]]:
    """The filters every facet counts under: the buyer filter (first and unconditional), the text, the rest."""
    clauses = _buyer_filter(query.seller_id)
    if text_query is not None:
        clauses.append(doc.search_vector.op("@@")(text_query))
    if query.currency is not None:
        clauses.append(doc.currency == query.currency)
    if query.in_stock:
        clauses.append(doc.in_stock)
    if query.min_rating is not None:
        clauses.append(doc.rating >= query.min_rating)
    return clauses


def _attribute_set_ids(session, query: SearchQuery) -> dict[str, list[int]]:
    """Per attribute the buyer filters on, the ids of the attribute sets holding one of the values asked for.

    Read before the search's statements, which then name the sets by
    constant lists: the planner estimates how many documents those hold
    (from the column's statistics, where a subquery left it guessing), and
    each document is checked with one hashed lookup.
    """
    if not query.attributes:
        return {}
    matches = {attribute.name: attribute_set.attributes[attribute.name].astext.in_(attribute.values)
               for attribute in query.attributes}
    rows = session.execute(select(attribute_set.id, *[match.label(f"has_{index}") for index, match
                                                      in enumerate(matches.values())])
                           .where(or_(*matches.values()))).all()
    return {name: [row.id for row in rows if row[index + 1]] for index, name in enumerate(matches)}


def _selections(query: SearchQuery, attribute_set_ids: dict[str, list[int]]) -> dict[str, ColumnElement[bool]]:
    """The buyer's selections, by the facet that leaves its own out (multi-select counts)."""
    selections: dict[str, ColumnElement[bool]] = {}
    if query.category_ids:
        selections[CATEGORY] = doc.category_path_ids.overlap(
            literal(list(query.category_ids), doc.category_path_ids.type))
    if query.seller_slugs:
        selections[SELLER] = doc.seller_slug.in_(query.seller_slugs)
    price = [*([doc.min_price_amount >= query.price_min] if query.price_min is not None else []),
             *([doc.min_price_amount <= query.price_max] if query.price_max is not None else [])]
    if price:
        selections[PRICE] = and_(*price)
    for attribute in query.attributes:
        selections[attribute_facet(attribute.name)] = doc.attribute_set_id == any_(
            literal(attribute_set_ids[attribute.name], ARRAY(Integer)))
    return selections


def _page(session, query: SearchQuery, text_query, selections: dict[str, ColumnElement[bool]]) -> list[SearchHit]:
    """The page's documents, each with its rank when there is text.

    Sorted by relevance, every match is ranked to find the page; sorted by
    another key, the page is found first and only its documents are ranked
    (the planner would rank every match before sorting: ts_rank reads each
    one's whole vector).
    """
    ranked_first = query.sort == SortOrder.RELEVANCE and text_query is not None
    score = func.ts_rank(doc.search_vector, text_query) if ranked_first else literal(None)
    page = (select(*_PAGE_COLUMNS, doc.search_vector, score.label("score"))
            .where(*_filters(query, text_query, selections)).order_by(*_order(query, score))
            .limit(query.page_size).offset(query.offset).subquery("page"))
    ranked_late = not ranked_first and text_query is not None
    page_score = func.ts_rank(page.c.search_vector, text_query) if ranked_late else page.c.score
    rows = session.execute(
        select(*[page.c[column.name] for column in _PAGE_COLUMNS], page_score.label("score"))
        .order_by(*_order(query, page.c.score, page.c))
    ).all()
    return [SearchHit(row.tenant_id, row.product_id, float(row.score) if row.score is not None else None,
                      _document(row)) for row in rows]


# A hit's document: every column but the vectors (and the attributes' id: the attributes are there).
_PAGE_COLUMNS = [column for column in SearchDocument.__table__.columns
                 if column.name not in ("search_vector", "suggest_vector", "attribute_set_id")]


def _order(query: SearchQuery, score, columns=doc) -> list:
    """The ORDER BY of a sort, on the documents' columns or those of a subquery of them."""
    ties = [columns.tenant_id, columns.product_id]
    newest = [columns.published_at.desc().nulls_last(), columns.tenant_id.desc(), columns.product_id.desc()]
    if query.sort == SortOrder.PRICE_ASC:
        return [columns.min_price_amount.asc().nulls_last(), *ties]
    if query.sort == SortOrder.PRICE_DESC:
        return [columns.min_price_amount.desc().nulls_last(), *ties]
    if query.sort == SortOrder.RATING:
        return [columns.rating.desc().nulls_last(), columns.rating_count.desc(), *ties]
    if query.sort == SortOrder.RELEVANCE and query.text:
        return [score.desc(), *newest]
    return newest
