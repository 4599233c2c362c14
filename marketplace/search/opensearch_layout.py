"""Indices and aliases of the OpenSearch backend.

    {p}products_v3            the pooled index: every seller without an index of its own, routed by seller
    {p}products_t42_v1        a dedicated index for one large seller (moved there by `flask search move-tenant`)
    {p}products               read alias of buyer-wide search: the pooled index (minus dedicated sellers,
                              by a filter) and every dedicated index
    {p}products_t42           a seller's alias: filtered on its id and routed by it; storefront searches
                              read it, and every write for that seller goes through it
    {p}products_pending       while a full reindex fills the next pooled index: that index
    {p}products_t42_pending   while seller 42 moves: the index it moves to

Writes are addressed to aliases, never to index names, with `require_alias`:
the alias is resolved by the cluster when the write lands, so a write racing
an alias swap reaches the index that is current then, and a write can never
create a stray index by auto-creation. While a `_pending` alias exists,
writes go there too, so the index being filled misses nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

TEXT_ANALYZER = "product_text"


def index_settings(shards: int, replicas: int) -> dict:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "analysis": {
            "filter": {
                "english_possessive": {"type": "stemmer", "language": "possessive_english"},
                "english_stop": {"type": "stop", "stopwords": "_english_"},
                "english_stemmer": {"type": "stemmer", "language": "english"},
            },
            "analyzer": {
                # English stemming and stop words, as the PostgreSQL backend's 'english' configuration.
                TEXT_ANALYZER: {"type": "custom", "tokenizer": "standard",
                                "filter": ["english_possessive", "lowercase", "asciifolding", "english_stop",
                                           "english_stemmer"]},
                "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
            },
        },
    }


MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "seller_id": {"type": "long"},
        "product_id": {"type": "long"},
        "version": {"type": "long"},
        "product_slug": {"type": "keyword"},
        "title": {"type": "text", "analyzer": TEXT_ANALYZER, "fields": {
            "keyword": {"type": "keyword", "ignore_above": 256},
            "suggest": {"type": "search_as_you_type", "analyzer": "folded"},
        }},
        "description": {"type": "text", "analyzer": TEXT_ANALYZER},
        "category_id": {"type": "long"},
        "category_path_ids": {"type": "long"},
        "category_path_names": {"type": "text", "analyzer": TEXT_ANALYZER},
        # Kept whole for the result; `attribute_pairs` is what filters and facets read.
        "attributes": {"type": "object", "enabled": False},
        "attribute_pairs": {"type": "keyword"},
        "min_price_amount": {"type": "long"},
        "max_price_amount": {"type": "long"},
        "currency": {"type": "keyword"},
        "in_stock": {"type": "boolean"},
        "rating": {"type": "scaled_float", "scaling_factor": 100},
        "rating_count": {"type": "integer"},
        "seller_slug": {"type": "keyword"},
        "seller_name": {"type": "text", "analyzer": "folded", "fields": {"keyword": {"type": "keyword"}}},
        "image_url": {"type": "keyword", "index": False},
        "published": {"type": "boolean"},
        "seller_active": {"type": "boolean"},
        "published_at": {"type": "date"},
    },
}


@dataclass(frozen=True)
class Names:
    """Index and alias names under one prefix (tests give each run its own)."""

    prefix: str

    @property
    def read_alias(self) -> str:
        return f"{self.prefix}products"

    @property
    def pool_pending_alias(self) -> str:
        return f"{self.prefix}products_pending"

    @property
    def all_indices(self) -> str:
        return f"{self.prefix}products_*"

    def pooled_index(self, generation: int) -> str:
        return f"{self.prefix}products_v{generation}"

    def dedicated_index(self, seller_id: int, generation: int) -> str:
        return f"{self.prefix}products_t{seller_id}_v{generation}"

    def seller_alias(self, seller_id: int) -> str:
        return f"{self.prefix}products_t{seller_id}"

    def seller_pending_alias(self, seller_id: int) -> str:
        return f"{self.prefix}products_t{seller_id}_pending"

    def is_pooled(self, index: str) -> bool:
        return re.fullmatch(rf"{re.escape(self.prefix)}products_v\d+", index) is not None

    def generation(self, index: str) -> int:
        return int(index.rsplit("_v", 1)[1])


def seller_alias_definition(seller_id: int) -> dict:
    return {"filter": {"term": {"seller_id": seller_id}}, "routing": str(seller_id)}


def pooled_read_filter(dedicated_seller_ids: list[int]) -> dict:
    """The read alias on the pooled index hides sellers that have moved to an index of their own."""
    if not dedicated_seller_ids:
        return {}
    return {"filter": {"bool": {"must_not": {"terms": {"seller_id": sorted(dedicated_seller_ids)}}}}}


class Layout:
    """Reads and changes the indices and aliases; every alias change is one atomic `_aliases` call."""

    def __init__(self, client: OpenSearch, names: Names, shards: int, replicas: int):
        self.client = client
        self.names = names
        self.shards = shards
        self.replicas = replicas

    def create_index(self, index: str, shards: int | None = None) -> None:
        self.client.indices.create(index=index, body={
            "settings": index_settings(shards or self.shards, self.replicas), "mappings": MAPPINGS,
        })

    def ensure(self) -> None:
        """Create the first pooled index behind the read alias, once (a second caller's race is harmless)."""
        if self.client.indices.exists_alias(name=self.names.read_alias):
            return
        index = self.names.pooled_index(1)
        try:
            self.client.indices.create(index=index, body={
                "settings": index_settings(self.shards, self.replicas), "mappings": MAPPINGS,
                "aliases": {self.names.read_alias: {}},
            })
        except RequestError as error:
            if error.error != "resource_already_exists_exception":
                raise

    def alias_indices(self, *aliases: str) -> dict[str, list[str]]:
        """alias -> the indices behind it, for those of `aliases` that exist."""
        # With several names the answer is a 404 when any is missing; its body still lists the others.
        found = self.client.indices.get_alias(name=",".join(aliases), ignore=404)
        behind: dict[str, list[str]] = {}
        for index, entry in found.items():
            if not isinstance(entry, dict):
                continue  # the "error" and "status" keys of a 404
            for alias in entry.get("aliases", {}):
                if alias in aliases:
                    behind.setdefault(alias, []).append(index)
        return behind

    def pooled_index(self) -> str:
        """The pooled index currently behind the read alias."""
        self.ensure()
        pooled = [index for index in self.alias_indices(self.names.read_alias).get(self.names.read_alias, [])
                  if self.names.is_pooled(index)]
        if len(pooled) != 1:
            raise RuntimeError(f"expected one pooled index behind {self.names.read_alias}, found {pooled}")
        return pooled[0]

    def home_index(self, seller_id: int) -> str | None:
        indices = self.alias_indices(self.names.seller_alias(seller_id)).get(self.names.seller_alias(seller_id))
        return indices[0] if indices else None

    def write_aliases(self, seller_id: int, create: bool = True) -> list[str]:
        """Aliases a write for this seller goes through: its own, plus those of an index being filled.

        A seller never indexed has no alias yet: it gets one on the pooled index, unless `create` is
        false (a deletion has nothing to delete there), which returns no alias.
        """
        seller_alias = self.names.seller_alias(seller_id)
        seller_pending = self.names.seller_pending_alias(seller_id)
        pool_pending = self.names.pool_pending_alias
        behind = self.alias_indices(seller_alias, seller_pending, pool_pending)
        if seller_alias not in behind:
            if not create:
                return []
            self.add_seller_alias(seller_id, self.pooled_index())
            behind = self.alias_indices(seller_alias, seller_pending, pool_pending)
        aliases = [seller_alias]
        if seller_pending in behind:
            aliases.append(seller_pending)
        # A full reindex fills the next pooled index with the pooled sellers only.
        if pool_pending in behind and self.names.is_pooled(behind[seller_alias][0]):
            aliases.append(pool_pending)
        return aliases

    def add_seller_alias(self, seller_id: int, index: str) -> None:
        self.client.indices.put_alias(index=index, name=self.names.seller_alias(seller_id),
                                      body=seller_alias_definition(seller_id))

    def dedicated_seller_ids(self) -> list[int]:
        """Sellers whose alias points at an index of their own."""
        dedicated = []
        pattern = re.compile(rf"{re.escape(self.names.prefix)}products_t(\d+)")
        for index, entry in self._aliases_of_all_indices().items():
            if self.names.is_pooled(index):
                continue
            for alias in entry.get("aliases", {}):
                match = pattern.fullmatch(alias)
                if match:
                    dedicated.append(int(match.group(1)))
        return dedicated

    def pooled_seller_ids(self, pooled_index: str) -> list[int]:
        pattern = re.compile(rf"{re.escape(self.names.prefix)}products_t(\d+)")
        aliases = self._aliases_of_all_indices().get(pooled_index, {}).get("aliases", {})
        return [int(match.group(1)) for match in map(pattern.fullmatch, aliases) if match]

    def next_generation(self) -> int:
        indices = self.client.indices.get(index=self.names.all_indices, ignore_unavailable=True, allow_no_indices=True)
        return max((self.names.generation(index) for index in indices), default=0) + 1

    def update_aliases(self, actions: list[dict]) -> None:
        self.client.indices.update_aliases(body={"actions": actions})

    def _aliases_of_all_indices(self) -> dict:
        return self.client.indices.get_alias(index=self.names.all_indices, allow_no_indices=True,
                                             ignore_unavailable=True)
