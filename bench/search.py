"""Search at 200,000 products: indexing through the whole pipeline, and faceted searches through the API.

For each backend, OpenSearch (a single node) then PostgreSQL:
- indexing (`bench.search_indexing`): documents/s of the pipeline (outbox ->
  relay sweep -> RQ workers -> `index_products`) beside raw writes of the
  same documents, runs interleaved, each onto a fresh index or emptied table.
  Goal: the pipeline >= 70% of the raw rate.
- faceted search (`bench.search_queries`): p50/p95 of the real app's
  `GET /api/v1/search` beside the same search sent straight to the engine.
  Goal: the API adds <= 10 ms at p50.

Up to 3 indexing runs per backend, fewer when the next would end past
`INDEXING_BUDGET_SECONDS`: the whole takes about 10 minutes on 2 cores. Each
figure comes with lines that say where the time goes: CPU per 1,000
documents by process, RQ's own cost (the same jobs doing nothing), one job
profiled in this process, the API's overhead step by step.

The catalog (`bench.search_catalog`), 40 sellers of 5,000 products, is
seeded once, untimed. Servers: PostgreSQL and Redis of the bench's own, and
an OpenSearch node on port 9221 started from var/opensearch/lib (`make
opensearch-deps`), or the one OPENSEARCH_URL names; all stopped at the end.
SEARCH_BENCH_PRODUCTS, SEARCH_BENCH_RUNS and SEARCH_BENCH_INDEXING_BUDGET
(seconds) make a smaller run for development. SEARCH_BENCH_ONLY=queries
runs only the faceted searches of both backends (a few minutes): the
documents are written by the raw writes of the indexing anchors (a bulk into
the pooled index behind the read alias, one executemany into
`platform.search_documents`), untimed, instead of through the pipeline.
"""
from __future__ import annotations

import gc
import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg
from flask import Flask
from opensearchpy import OpenSearch

from bench import search_indexing as indexing
from bench import search_queries as queries
from bench.search_catalog import SeededCatalog, seed_catalog
from bench.support import BENCH_VAR_DIR, bench_database, bench_redis, goal_line, gunicorn, psycopg_url
from marketplace import tables  # noqa: F401  (complete metadata, as the app has it)
from marketplace.app import create_app
from marketplace.search.opensearch_backend import OpenSearchBackend
from marketplace.search.postgres_backend import PostgresSearchBackend
from scripts.opensearch_node import OpenSearchNode
from tenants.outbox import set_commit_relay

PRODUCT_COUNT = int(os.environ.get("SEARCH_BENCH_PRODUCTS", "200000"))
RUNS = int(os.environ.get("SEARCH_BENCH_RUNS", "3"))
# Per backend: no new pair of indexing runs starts that would end past it (the whole bench aims at ~12 min).
INDEXING_BUDGET_SECONDS = float(os.environ.get("SEARCH_BENCH_INDEXING_BUDGET", "200"))
SELLER_COUNT = 40
NODE_PORT = 9221
NODE_HEAP = "1g"
GUNICORN_WORKERS = 2
THREADS_PER_WORKER = 4
# Between two API requests the client times the same search in this process: at PostgreSQL's pace that
# can outlast gunicorn's 2 s keep-alive, which would close the connection under it.
KEEP_ALIVE_SECONDS = 60
GOAL_PIPELINE_SHARE = 0.70
BENCH_SEARCH_RATE_LIMIT = "100000/minute"
QUERIES_ONLY = os.environ.get("SEARCH_BENCH_ONLY") == "queries"


@contextmanager
def opensearch() -> Iterator[tuple[str, int | None]]:
    """URL and pid of an OpenSearch node: OPENSEARCH_URL's (pid unknown), or the bench's own until the block ends."""
    given = os.environ.get("OPENSEARCH_URL")
    if given:
        yield given, None
        return
    with tempfile.TemporaryDirectory(dir=BENCH_VAR_DIR, prefix="opensearch-") as folder:
        node = OpenSearchNode(Path(folder), port=NODE_PORT, heap=NODE_HEAP)
        url = node.start()
        try:
            yield url, node.process.pid
        finally:
            node.stop()


def shared_buffers(database_url: str) -> str:
    """The server's shared buffers, PostgreSQL's cache of table and index pages (128MB unless configured)."""
    with psycopg.connect(psycopg_url(database_url)) as connection:
        return connection.execute("SHOW shared_buffers").fetchone()[0]


def delete_indices(client: OpenSearch, pattern: str) -> None:
    # By name: a cluster given by OPENSEARCH_URL may refuse wildcard deletes.
    for index in client.indices.get(index=pattern, ignore_unavailable=True, allow_no_indices=True):
        client.indices.delete(index=index)


def in_process_app(settings: dict[str, str], **search_settings: str | None) -> Flask:
    """The real app in this process, as gunicorn serves it, except that it leaves outbox rows to the sweep."""
    return create_app({**settings, **search_settings, "OUTBOX_RELAY_ON_COMMIT": False})


def interleaved_runs(anchor_run: Callable[[], indexing.Run],
                     pipeline_run: Callable[[], indexing.PipelineRun]) -> tuple[list, list]:
    """Anchor, pipeline, anchor, pipeline, ...: up to RUNS pairs, fewer when the next would overrun the budget."""
    anchor_runs, pipeline_runs = [], []
    started = time.perf_counter()
    while len(pipeline_runs) < RUNS:
        pair_started = time.perf_counter()
        anchor_runs.append(anchor_run())
        pipeline_runs.append(pipeline_run())
        pair_seconds = time.perf_counter() - pair_started
        if time.perf_counter() - started + pair_seconds > INDEXING_BUDGET_SECONDS:
            break
    return anchor_runs, pipeline_runs


def index_with_opensearch(meter: indexing.CpuMeter, catalog: SeededCatalog, sources: list[dict],
                          backend: OpenSearchBackend, settings: dict[str, str], environment: dict[str, str],
                          products_per_seller: int, rq_costs: indexing.RqCosts) -> indexing.IndexingFigures:
    # The profiled jobs write to indices of their own, dropped before the runs.
    profile_prefix = f"{backend.names.prefix}profile_"
    profile_app = in_process_app(settings, OPENSEARCH_URL=environment["OPENSEARCH_URL"],
                                 OPENSEARCH_INDEX_PREFIX=profile_prefix)
    try:
        job_profile = indexing.profile_one_job(profile_app, catalog, products_per_seller)
    finally:
        delete_indices(backend.client, f"{profile_prefix}*")
    anchor_index = f"{backend.names.prefix}raw"

    def anchor_run() -> indexing.Run:
        backend.layout.create_index(anchor_index)
        run = indexing.measured(meter, lambda: indexing.raw_opensearch_bulk(backend, anchor_index, sources))
        indexing.require_count("the raw bulk's index", backend.client.count(index=anchor_index)["count"],
                               len(sources))
        backend.client.indices.delete(index=anchor_index)
        return run

    def pipeline_run() -> indexing.PipelineRun:
        delete_indices(backend.client, backend.names.all_indices)
        message_ids = indexing.write_index_messages(catalog, products_per_seller)
        run = indexing.run_pipeline(meter, message_ids, environment, backend.refresh)
        indexing.require_count("the pipeline's index", backend.client.count(index=backend.names.read_alias)["count"],
                               len(sources))
        return run

    anchor_runs, pipeline_runs = interleaved_runs(anchor_run, pipeline_run)
    return indexing.IndexingFigures(
        "OpenSearch", len(sources), pipeline_runs, anchor_runs,
        "raw helpers.bulk into a fresh index, same mappings", rq_costs, job_profile)


def index_with_postgres(meter: indexing.CpuMeter, catalog: SeededCatalog, sources: list[dict],
                        settings: dict[str, str], environment: dict[str, str], products_per_seller: int,
                        rq_costs: indexing.RqCosts) -> indexing.IndexingFigures:
    database_url = settings["DATABASE_URL"]
    job_profile = indexing.profile_one_job(in_process_app(settings, OPENSEARCH_URL=None), catalog,
                                           products_per_seller)

    def anchor_run() -> indexing.Run:
        indexing.empty_postgres_documents(database_url)
        run = indexing.measured(meter, lambda: indexing.raw_postgres_insert(database_url, sources))
        indexing.require_count("search_documents after the raw insert",
                               indexing.count_postgres_documents(database_url), len(sources))
        return run

    def pipeline_run() -> indexing.PipelineRun:
        indexing.empty_postgres_documents(database_url)
        message_ids = indexing.write_index_messages(catalog, products_per_seller)
        run = indexing.run_pipeline(meter, message_ids, environment, lambda: None)
        indexing.require_count("search_documents after the pipeline",
                               indexing.count_postgres_documents(database_url), len(sources))
        return run

    anchor_runs, pipeline_runs = interleaved_runs(anchor_run, pipeline_run)
    return indexing.IndexingFigures(
        "PostgreSQL", len(sources), pipeline_runs, anchor_runs,
        "one psycopg executemany of the same rows, vectors included", rq_costs, job_profile)


def print_indexing(figures: indexing.IndexingFigures) -> None:
    print(f"== search indexing, {figures.document_count:,} products: {figures.backend} ==", flush=True)
    for line in indexing.report_lines(figures):
        print(line, flush=True)
    print(goal_line(f"pipeline >= {GOAL_PIPELINE_SHARE:.0%} of the raw rate",
                    figures.pipeline_share >= GOAL_PIPELINE_SHARE), flush=True)


def print_queries(backend_name: str, document_count: int, figures: queries.QueryFigures) -> None:
    print(f"== faceted search, {document_count:,} products: {backend_name} ==", flush=True)
    for line in queries.report_lines(figures):
        print(line, flush=True)


def main() -> None:
    products_per_seller = PRODUCT_COUNT // SELLER_COUNT
    scope = "faceted searches only" if QUERIES_ONLY else f"up to {RUNS} indexing runs each"
    print(f"== search at {SELLER_COUNT * products_per_seller:,} products ({SELLER_COUNT} sellers x "
          f"{products_per_seller:,}), {scope}: OpenSearch single node, then PostgreSQL ==", flush=True)
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Outbox rows stay pending until the timed sweep relays them (no app here installs the relay; be sure).
    set_commit_relay(None)
    started = time.perf_counter()
    with opensearch() as (opensearch_url, opensearch_pid), bench_database("search") as database_url, \
            bench_redis() as redis_url:
        meter = indexing.CpuMeter(opensearch_pid, indexing.postmaster_pid(database_url))
        # One client sends hundreds of searches a minute: the search limit is raised, not turned off, so that
        # the limiter's own cost stays in the API's figure.
        served_settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                           "RATE_LIMIT_SEARCH": BENCH_SEARCH_RATE_LIMIT}
        environment = {**{name: value for name, value in os.environ.items() if not name.startswith("OPENSEARCH_")},
                       **served_settings}
        prefix = f"bench_{uuid.uuid4().hex[:6]}_"
        opensearch_environment = {**environment, "OPENSEARCH_URL": opensearch_url, "OPENSEARCH_INDEX_PREFIX": prefix}

        catalog = seed_catalog(database_url, SELLER_COUNT, products_per_seller)
        seeded = time.perf_counter()
        rq_costs = None if QUERIES_ONLY else indexing.measure_rq_costs(meter, catalog, products_per_seller,
                                                                         environment)
        building = time.perf_counter()
        sources = indexing.build_sources(catalog.tenants)
        built = time.perf_counter()
        # Millions of objects that live to the end: out of the collector's sight, or its full passes
        # would weigh on everything timed in this process.
        gc.freeze()
        print(f"(set-up: OpenSearch, PostgreSQL and Redis up and {catalog.product_count:,} products seeded in "
              f"{seeded - started:.0f} s; their documents built from the catalog in this process in "
              f"{built - building:.0f} s; PostgreSQL's shared_buffers {shared_buffers(database_url)})", flush=True)

        backend = OpenSearchBackend.from_url(opensearch_url, prefix=prefix)
        try:
            if QUERIES_ONLY:
                backend.layout.ensure()
                indexing.raw_opensearch_bulk(backend, backend.layout.pooled_index(), sources)
            else:
                print_indexing(index_with_opensearch(meter, catalog, sources, backend, served_settings,
                                                     opensearch_environment, products_per_seller, rq_costs))
            with gunicorn("wsgi:app", "/healthz", opensearch_environment, GUNICORN_WORKERS, THREADS_PER_WORKER,
                          KEEP_ALIVE_SECONDS) as app_url:
                print_queries("OpenSearch", len(sources), queries.measure(
                    app_url, catalog.category_ids, queries.opensearch_direct(backend),
                    in_process_app(served_settings, OPENSEARCH_URL=opensearch_url, OPENSEARCH_INDEX_PREFIX=prefix)))
        finally:
            delete_indices(backend.client, f"{prefix}*")

        if QUERIES_ONLY:
            indexing.raw_postgres_insert(database_url, sources)
        else:
            print_indexing(index_with_postgres(meter, catalog, sources, served_settings, environment,
                                               products_per_seller, rq_costs))
        # Planner statistics and the visibility map (index-only scans), as autovacuum keeps them on a table
        # that has been written for a while: since PostgreSQL 13 it vacuums a table after inserts too.
        indexing.vacuum_postgres_documents(database_url)
        with gunicorn("wsgi:app", "/healthz", environment, GUNICORN_WORKERS, THREADS_PER_WORKER,
                      KEEP_ALIVE_SECONDS) as app_url:
            print_queries("PostgreSQL", len(sources), queries.measure(
                app_url, catalog.category_ids, queries.backend_direct(PostgresSearchBackend()),
                in_process_app(served_settings, OPENSEARCH_URL=None)))
    # The machine is shared: how busy it was says how far the figures are from an idle box's.
    print(f"(whole benchmark: {time.perf_counter() - started:.0f} s; load average over the last 15 min: "
          f"{os.getloadavg()[2]:.1f} on {os.cpu_count()} CPUs)", flush=True)


if __name__ == "__main__":
    main()
