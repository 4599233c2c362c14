"""Faceted searches through the API beside the same search sent straight to the engine.

20 query variants mix text, categories (department or aisle), multi-select
attributes, price ranges, in stock, rating and every sort. One client sends
them one after the other over one keep-alive connection to the real app,
served by gunicorn as in production; after each API request the same
search goes straight to the engine: for OpenSearch, the very body
`opensearch_dsl.search_body(query)` builds, sent with opensearch-py to the
read alias; for PostgreSQL, whose search is a few statements (the total
and the facets, the sellers' names, the page), the backend's `search()`
called in this process.
The API's figure minus the direct one is what the app adds: the backend's
work around the engine's answer, the category labels, the response schema,
JSON, the request through Flask, HTTP. Every third round also times those
steps one by one, to say which of them the overhead is.

15 rounds of the 20 variants (300 requests), fewer if the rounds outlast
`QUERY_BUDGET_SECONDS`, after one round of warm-up.
"""
from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from bench.support import figure_line, goal_line, median_and_p95, timed
from marketplace.search import get_search_backend, services
from marketplace.search.opensearch_backend import OpenSearchBackend
from marketplace.search.opensearch_dsl import search_body
from marketplace.search.port import SearchBackend
from marketplace.search.query import SearchArgsSchema, SearchQuery
from marketplace.search.schemas import SearchPageSchema, search_page_body

SEARCH_PATH = "/api/v1/search"
MEASURED_ROUNDS = 15
PARTS_EVERY_ROUNDS = 3
# Per backend: no round starts after it (PostgreSQL's facet queries at 200,000 documents are slow).
QUERY_BUDGET_SECONDS = 75.0
GOAL_OVERHEAD_MS = 10.0
AFTER_REQUEST_PAUSE_SECONDS = 0.005
# Categories by slug (bench.search_catalog), turned into ids once seeded.
QUERY_VARIANTS: list[dict] = [
    {"q": "mug"},
    {"q": "oak", "category": ["kitchen"]},
    {"q": "linen cushion", "attr": ["colour:blue", "colour:white"]},
    {"q": "rustic", "price_min": 1000, "price_max": 5000, "in_stock": "true", "sort": "price_asc"},
    {"category": ["mugs-and-cups"], "sort": "newest"},
    {"attr": ["material:oak", "colour:black"], "in_stock": "true"},
    {"q": "ceramic bowl", "sort": "rating"},
    {"q": "backpack", "category": ["bags"], "attr": ["size:M", "size:L"], "sort": "price_desc"},
    {"q": "handmade", "category": ["home", "garden"], "in_stock": "true"},
    {"q": "wool", "attr": ["colour:grey", "colour:navy", "colour:beige"], "price_max": 2500},
    {"q": "vintage lamp", "category": ["lighting"]},
    {"q": "steel", "price_min": 5000, "sort": "price_asc", "page": 2},
    {"category": ["toys"], "attr": ["material:bamboo"], "sort": "rating", "in_stock": "true"},
    {"q": "notebook", "attr": ["size:S"], "sort": "newest"},
    {"q": "gift", "min_rating": 4},
    {"q": "towel", "category": ["bath"], "attr": ["colour:white", "colour:beige"], "in_stock": "true",
     "sort": "price_asc"},
    {"q": "modern glass vase"},
    {"q": "leather wallet", "price_min": 2500, "price_max": 10000},
    {"q": "garden", "attr": ["material:steel", "material:oak"], "sort": "relevance"},
    {"in_stock": "true", "price_max": 1000, "sort": "price_asc"},
]


@dataclass(frozen=True)
class Variant:
    path: str
    query: SearchQuery


@dataclass(frozen=True)
class PartsSample:
    """One search timed in steps, each right after the one before (seconds)."""

    api: float
    direct: float
    backend: float
    # The search service: the backend's search, then the category facet's labels.
    service: float
    # The response body: schema dump and JSON.
    response: float
    # The same GET through the app in this process (Flask's test client): no HTTP, no gunicorn.
    in_process_request: float


@dataclass
class QueryFigures:
    direct_label: str
    variant_count: int
    # Seconds per search, the two in turn for every variant in every round.
    api: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    parts: list[PartsSample] = field(default_factory=list)

    @property
    def overhead_ms(self) -> float:
        """The goal's reading: the API's p50 minus the direct p50."""
        return (_median(self.api) - _median(self.direct)) * 1000

    @property
    def paired_overhead_ms(self) -> float:
        """The median of API minus direct for the same variant in the same round: blind to the mix of variants."""
        return _median([api - direct for api, direct in zip(self.api, self.direct)]) * 1000


def _median(samples: list[float]) -> float:
    return median_and_p95(samples)[0]


def variants(category_ids: dict[str, int]) -> list[Variant]:
    """Each variant's API path and the query the API builds from it."""
    built = []
    for params in QUERY_VARIANTS:
        params = {**params, "category": [category_ids[slug] for slug in params.get("category", [])]}
        path = f"{SEARCH_PATH}?{urlencode(params, doseq=True)}"
        built.append(Variant(path, SearchArgsSchema().load({key: value for key, value in params.items()
                                                             if value != []})))
    return built


@dataclass(frozen=True)
class Direct:
    """The search sent straight to the engine; returns the total it found."""

    label: str
    search: Callable[[SearchQuery], int]
    # True when it is the backend's search() itself (PostgreSQL): the backend is no part of the overhead then.
    is_backend_search: bool


def opensearch_direct(backend: OpenSearchBackend) -> Direct:
    def search(query: SearchQuery) -> int:
        # Every seller is active: the backend reads that from the registry per query, and sends this same body.
        body = search_body(query, hidden_seller_ids=())
        return backend.client.search(index=backend.names.read_alias, body=body)["hits"]["total"]["value"]

    return Direct("the same body straight to the read alias (opensearch-py)", search, is_backend_search=False)


def backend_direct(backend: SearchBackend) -> Direct:
    return Direct(f"{type(backend).__name__}.search() in process (total and facets, then the page)",
                  lambda query: backend.search(query).total, is_backend_search=True)


def measure(base_url: str, category_ids: dict[str, int], direct: Direct, app: Flask) -> QueryFigures:
    """Warm up (checking API and direct agree on every variant's total), then time every variant in rounds.

    Each variant is timed through the API and straight to the engine, which
    of the two goes first alternating by round: the first of two identical
    searches in a row is the slower (PostgreSQL at 200,000 documents: by ~6
    ms at the median), and neither side should always pay it. Every
    `PARTS_EVERY_ROUNDS` round, the variant is then timed again in steps,
    each run right after the one before, so all of them equally warm: the
    direct search, the backend's search, the service, the response body,
    the request through Flask's test client (these run in this process, in
    `app`, the real app configured like the served one) and the API. Rounds
    stop at `MEASURED_ROUNDS`, or earlier once `QUERY_BUDGET_SECONDS` have
    gone by.
    """
    figures = QueryFigures(direct.label, len(QUERY_VARIANTS))
    built = variants(category_ids)
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)

    def api_seconds(variant: Variant) -> float:
        seconds = timed(lambda: _api_get(connection, variant.path))
        # The server finishes its request after the reply (teardown, pooled connections reset):
        # let it, so that the next timing does not share the two cores with it.
        time.sleep(AFTER_REQUEST_PAUSE_SECONDS)
        return seconds

    try:
        with app.app_context():
            client = app.test_client()
            for variant in built:
                _check_same_total(variant, _api_get(connection, variant.path)["total"],
                                  direct.search(variant.query), client.get(variant.path).json["total"])
            started = time.perf_counter()
            for round_number in range(MEASURED_ROUNDS):
                for variant in built:
                    if round_number % 2 == 0:
                        figures.api.append(api_seconds(variant))
                        figures.direct.append(timed(lambda: direct.search(variant.query)))
                    else:
                        figures.direct.append(timed(lambda: direct.search(variant.query)))
                        figures.api.append(api_seconds(variant))
                    if round_number % PARTS_EVERY_ROUNDS == 0:
                        figures.parts.append(_time_parts(app, client, variant, direct, api_seconds))
                if time.perf_counter() - started > QUERY_BUDGET_SECONDS:
                    break
    finally:
        connection.close()
    return figures


def _time_parts(app: Flask, client: FlaskClient, variant: Variant, direct: Direct,
                api_seconds: Callable[[Variant], float]) -> PartsSample:
    pages = []
    direct_seconds = timed(lambda: direct.search(variant.query))
    backend_seconds = direct_seconds if direct.is_backend_search \
        else timed(lambda: get_search_backend().search(variant.query))
    service_seconds = timed(lambda: pages.append(services.search_marketplace(variant.query)))
    response_seconds = timed(lambda: app.json.dumps(SearchPageSchema().dump(search_page_body(pages[0]))))
    request_seconds = timed(lambda: client.get(variant.path))
    return PartsSample(api_seconds(variant), direct_seconds, backend_seconds, service_seconds, response_seconds,
                       request_seconds)


def _check_same_total(variant: Variant, api_total: int, direct_total: int, in_process_total: int) -> None:
    if not api_total == direct_total == in_process_total:
        raise RuntimeError(f"{variant.path}: the API found {api_total}, the direct search {direct_total}, "
                           f"the app in this process {in_process_total}")


def _api_get(connection: http.client.HTTPConnection, path: str) -> dict:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return json.loads(body)


def report_lines(figures: QueryFigures) -> list[str]:
    return [
        figure_line(f"GET {SEARCH_PATH}, {figures.variant_count} faceted variants in turn, one keep-alive client",
                    figures.api, figures.direct_label, figures.direct),
        f"  API overhead at p50: {figures.overhead_ms:.1f} ms (median of the differences, same variant and round: "
        f"{figures.paired_overhead_ms:.1f} ms)",
        _parts_line(figures.parts),
        goal_line(f"API overhead <= {GOAL_OVERHEAD_MS:.0f} ms at p50", figures.overhead_ms <= GOAL_OVERHEAD_MS),
    ]


def _parts_line(parts: list[PartsSample]) -> str:
    """Each step's share of the overhead: the median of its difference, search by search."""
    steps = {
        "the backend around the engine (registry read, mapping the answer)": [
            part.backend - part.direct for part in parts],
        "category labels": [part.service - part.backend for part in parts],
        "response schema and JSON": [part.response for part in parts],
        "Flask, smorest, query string": [part.in_process_request - part.service - part.response for part in parts],
        "HTTP and gunicorn": [part.api - part.in_process_request for part in parts],
    }
    return (f"  where the overhead goes (medians of {len(parts)} searches timed step by step, the steps in this "
            f"process): " + ", ".join(f"{label} {_median(differences) * 1000:.1f} ms"
                                      for label, differences in steps.items()))
