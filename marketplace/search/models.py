"""The document table of the PostgreSQL search backend (shared schema).

One row per product of every seller, the same document the OpenSearch
backend indexes. The two text vectors are written by the backend from the
document (see `postgres_backend._vectors`): `search_vector` ranks title (A)
above category names (B) above description (C), `suggest_vector` holds the
title's words unstemmed, for prefix suggestions.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase

# What the facets' pass reads of a visible document: small values only (the attributes by their set's id).
FACET_COLUMNS = ["category_path_ids", "min_price_amount", "attribute_set_id", "in_stock", "currency", "rating",
                 "seller_slug"]


class SearchAttributeSet(SharedBase):
    """One distinct attributes object of the documents, so that the facets group on a number, not on JSON.

    Counting the attribute facet by the documents' JSONB objects hashed
    every object of every matching document; by this id, it hashes an
    integer and expands each distinct object once. Rows are only ever added
    (a set no document uses any more is harmless); `digest` (SHA-256 of the
    object's canonical JSONB text) keeps one row per object, whatever its size.
    """

    __tablename__ = "search_attribute_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB)


class SearchDocument(SharedBase):
    __tablename__ = "search_documents"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The product row's version: a write carrying an older one is ignored.
    version: Mapped[int] = mapped_column(Integer)
    product_slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    # Root first, the product's own category last: filtering on a category finds its descendants.
    category_path_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    category_path_names: Mapped[list[str]] = mapped_column(ARRAY(Text))
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB)
    # The id of `attributes` among the distinct objects (`SearchAttributeSet`), written with the document.
    attribute_set_id: Mapped[int] = mapped_column(ForeignKey("search_attribute_sets.id"))
    min_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    max_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    in_stock: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[float | None] = mapped_column(Numeric(3, 2, asdecimal=False))
    rating_count: Mapped[int] = mapped_column(Integer)
    seller_slug: Mapped[str] = mapped_column(String(40))
    seller_name: Mapped[str] = mapped_column(String(120))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[bool] = mapped_column(Boolean)
    seller_active: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_vector: Mapped[str] = mapped_column(TSVECTOR)
    suggest_vector: Mapped[str] = mapped_column(TSVECTOR)

    __table_args__ = (
        Index("ix_search_documents_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_search_documents_suggest_vector", "suggest_vector", postgresql_using="gin"),
        Index("ix_search_documents_category_path_ids", "category_path_ids", postgresql_using="gin"),
        # Buyer queries read only what buyers may see; this keeps their scans on those rows. In the
        # order of the default sort (newest first, `postgres_backend._order`), so a page reads the index.
        Index("ix_search_documents_visible_newest", text("published_at DESC NULLS LAST"), text("tenant_id DESC"),
              text("product_id DESC"), postgresql_where=text("published AND seller_active")),
        # Every column the facets read, for an index-only scan of the visible documents a broad search
        # matches (`postgres_backend._count_and_facets`): narrow values only, an eighth of the table's pages.
        Index("ix_search_documents_visible_facet_keys", "tenant_id", postgresql_include=FACET_COLUMNS,
              postgresql_where=text("published AND seller_active")),
        # The documents of the attribute sets a buyer ticked, as a bitmap to AND with the others (text,
        # category): a page of a narrow filter then reads its few documents, not every visible one. With
        # the facets' columns, the facets of two attribute filters or more read only the sets they count.
        Index("ix_search_documents_visible_attribute_set", "attribute_set_id",
              postgresql_include=["tenant_id", *[name for name in FACET_COLUMNS if name != "attribute_set_id"]],
              postgresql_where=text("published AND seller_active")),
        # Cheapest first (ASC NULLS LAST, as `postgres_backend._order` sorts): a page read from the index.
        Index("ix_search_documents_visible_cheapest", "min_price_amount", "tenant_id", "product_id",
              postgresql_where=text("published AND seller_active")),
    )


class SearchFacetCount(SharedBase):
    """How many visible documents of a seller have a facet value, by stock and currency: a broad search's facets.

    A search with no text and no rating floor counts a facet its buyer
    selected nothing in (or selected in alone) over every visible document:
    these counts answer it without reading them. Rewritten for a seller from
    its documents in the same transaction as every write to them
    (`postgres_backend._recount_facets`), so they are always exactly the
    documents'. Rows: ("seller", seller id, ""), ("category", category id
    (every category of a document's path), ""), ("price", the price range's
    index, ""), ("attribute", name, value).
    """

    __tablename__ = "search_facet_counts"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    in_stock: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    facet_key: Mapped[str] = mapped_column(Text, primary_key=True)
    facet_value: Mapped[str] = mapped_column(Text, primary_key=True)
    document_count: Mapped[int] = mapped_column(Integer)
