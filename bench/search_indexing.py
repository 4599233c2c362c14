"""Search indexing at scale: the whole pipeline (outbox -> relay -> RQ job -> write) beside raw writes.

Pipeline, per run: outbox rows are written as a CSV import's chunks write
them (`marketplace.search.jobs.index_products`, ~1000 product ids a message,
queue "search"), with the commit relay off so they stay pending. Timed:
`workers.relay.sweep_outbox()`, then 2 burst RQ workers (`python -m
workers.worker --burst --in-process search`, as `make run` serves the search
queue, 2 as on a 2-core box) until they exit, then a
refresh; the index must then hold every product, and no job may have failed.
Start-up of the workers is inside the window (measured on its own too).

Anchor, interleaved with the pipeline runs: the same documents, built once
beforehand from the catalog, written with no job, no outbox and no
versioning: `opensearchpy.helpers.bulk` (default chunk size) into a fresh
index with the backend's settings and mappings; for PostgreSQL, one psycopg
`executemany` of the rows the backend writes (vectors computed by the
server, as the backend has them computed) into the emptied table.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import psycopg
from flask import Flask
from opensearchpy import helpers
from psycopg.types.json import Jsonb
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from bench.search_catalog import SeededCatalog
from bench.support import ROOT, figure_line, median_and_p95, psycopg_url, timed
from marketplace.core.extensions import redis_client
from marketplace.search import jobs
from marketplace.search.documents import iter_tenant_documents, load_tenant
from marketplace.search.opensearch_backend import OpenSearchBackend, _source
from marketplace.search.postgres_facets import recount_facets
from tenants.models import TenantRef
from tenants.uow import UnitOfWork
from workers.queues import get_queue
from workers.relay import sweep_outbox

INDEX_JOB = "marketplace.search.jobs.index_products"
NOOP_JOB = "bench.noop_job.do_nothing"
PRODUCT_IDS_PER_MESSAGE = 1000
WORKER_COUNT = 2
SEARCH_QUEUE = "search"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# platform.search_documents as the PostgreSQL backend writes it (postgres_backend._row), its attributes named by
# their set's id, the sets added first; a parameter used twice is cast, or the server deduces text for one use
# and varchar for the other.
POSTGRES_ATTRIBUTE_SETS_INSERT = """
    INSERT INTO platform.search_attribute_sets (digest, attributes)
    SELECT sha256(convert_to(attributes::text, 'UTF8')), attributes FROM unnest(%s::jsonb[]) AS given(attributes)
    ON CONFLICT (digest) DO NOTHING
"""
POSTGRES_ROW_INSERT = """
    INSERT INTO platform.search_documents (
        tenant_id, product_id, version, product_slug, title, description, category_id, category_path_ids,
        category_path_names, attributes, attribute_set_id, min_price_amount, max_price_amount, currency, in_stock,
        rating, rating_count, seller_slug, seller_name, image_url, published, seller_active, published_at,
        search_vector, suggest_vector)
    VALUES (%(seller_id)s, %(product_id)s, %(version)s, %(product_slug)s, %(title)s::text, %(description)s::text,
            %(category_id)s, %(category_path_ids)s, %(category_path_names)s, %(attributes)s::jsonb,
            (SELECT id FROM platform.search_attribute_sets
             WHERE digest = sha256(convert_to(%(attributes)s::jsonb::text, 'UTF8'))), %(min_price_amount)s,
            %(max_price_amount)s, %(currency)s, %(in_stock)s, %(rating)s, %(rating_count)s, %(seller_slug)s,
            %(seller_name)s, %(image_url)s, %(published)s, %(seller_active)s, %(published_at)s,
            setweight(to_tsvector('english', %(title)s::text), 'A')
            || setweight(to_tsvector('english', %(description)s::text), 'B')
            || setweight(to_tsvector('english', %(category_names)s::text), 'C'),
            to_tsvector('simple', %(title)s::text))
"""
# Functions of one job worth naming in its profile: (label, file name, function name).
JOB_PARTS = [
    ("the whole job", "services.py", "index_products"),
    ("reading the products", "documents.py", "load_documents"),
    ("of which building the documents", "documents.py", "build_document"),
    ("alias look-ups", "opensearch_layout.py", "write_aliases"),
    ("documents to dicts", "opensearch_backend.py", "_source"),
    ("bulk lines to JSON", "opensearch_backend.py", "lines"),
    ("bulk requests (HTTP, OpenSearch's time)", "opensearch_backend.py", "_call"),
    ("row values with their vector expressions", "postgres_backend.py", "_row"),
    ("upserts (SQL built, compiled, executed)", "postgres_backend.py", "_upsert"),
]


@dataclass(frozen=True)
class CpuSeconds:
    """CPU time used by each side, to see which one the two cores were busy with."""

    this_process: float
    # Children of this process it has waited for: the RQ workers and their work horses.
    workers: float
    opensearch: float
    # The postmaster with every process it has started, running or ended (backends, autovacuum).
    postgres: float

    def __sub__(self, other: "CpuSeconds") -> "CpuSeconds":
        return CpuSeconds(*(getattr(self, name) - getattr(other, name) for name in _cpu_sides()))


def _cpu_sides() -> list[str]:
    return [side.name for side in fields(CpuSeconds)]


class CpuMeter:
    """Reads CPU times from /proc: an OpenSearch JVM and a PostgreSQL postmaster of this machine, if known."""

    def __init__(self, opensearch_pid: int | None, postmaster_pid: int | None):
        self.opensearch_pid = opensearch_pid
        self.postmaster_pid = postmaster_pid

    def read(self) -> CpuSeconds:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return CpuSeconds(own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime,
                          _process_cpu_seconds(self.opensearch_pid), _process_tree_cpu_seconds(self.postmaster_pid))


def _process_cpu_seconds(pid: int | None) -> float:
    stat = _proc_stat(pid)
    return sum(stat.cpu_ticks[:2]) / CLOCK_TICKS if stat else 0.0


def _process_tree_cpu_seconds(pid: int | None) -> float:
    """A process, the children it has reaped (cutime, cstime) and those still running or not yet reaped."""
    parent = _proc_stat(pid)
    if parent is None:
        return 0.0
    children = (_proc_stat(int(entry.name)) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    running = sum(sum(child.cpu_ticks[:2]) for child in children if child is not None and child.ppid == pid)
    return (sum(parent.cpu_ticks) + running) / CLOCK_TICKS


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    # utime, stime, cutime, cstime in clock ticks
    cpu_ticks: tuple[int, ...]


def _proc_stat(pid: int | None) -> ProcStat | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text() if pid else ""
    except OSError:
        return None  # gone meanwhile, or not readable
    if not stat:
        return None
    # After the command name (which may hold spaces): state, ppid, ... utime is the 12th field.
    after_name = stat.rsplit(")", 1)[1].split()
    return ProcStat(int(after_name[1]), tuple(int(value) for value in after_name[11:15]))


def postmaster_pid(database_url: str) -> int | None:
    """The pid of the PostgreSQL server if it runs on this machine (its data directory is readable)."""
    with psycopg.connect(psycopg_url(database_url)) as connection:
        data_directory = connection.execute("SHOW data_directory").fetchone()[0]
    try:
        return int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: CpuSeconds


def measured(meter: CpuMeter, action: Callable[[], object]) -> Run:
    before = meter.read()
    seconds = timed(action)
    return Run(seconds, meter.read() - before)


@dataclass(frozen=True)
class PipelineRun(Run):
    # Started to ended, as RQ recorded each job.
    job_seconds: list[float]


@dataclass(frozen=True)
class RqCosts:
    """What RQ itself costs, measured once with the same workers."""

    # Burst workers started on an empty queue.
    worker_start: Run
    # The pipeline's jobs, with the same arguments and nothing to do (start-up included).
    noop_run: PipelineRun

    def cpu_seconds_per_job(self) -> float:
        return (self.noop_run.cpu.workers - self.worker_start.cpu.workers) / len(self.noop_run.job_seconds)

    def seconds_per_job(self) -> float:
        """Wall seconds a job adds to a worker's time, start-up left out."""
        return (self.noop_run.seconds - self.worker_start.seconds) * WORKER_COUNT / len(self.noop_run.job_seconds)


@dataclass(frozen=True)
class JobProfile:
    """One job run in this process."""

    product_count: int
    wall_seconds: float
    # This process's alone: the servers' is not in it.
    cpu_seconds: float
    # label -> cumulative seconds under cProfile (JOB_PARTS)
    parts: dict[str, float]


@dataclass
class IndexingFigures:
    backend: str
    document_count: int
    pipeline_runs: list[PipelineRun]
    anchor_runs: list[Run]
    anchor_label: str
    rq_costs: RqCosts
    job_profile: JobProfile

    @property
    def pipeline_rate(self) -> float:
        return self.document_count / median_and_p95([run.seconds for run in self.pipeline_runs])[0]

    @property
    def anchor_rate(self) -> float:
        return self.document_count / median_and_p95([run.seconds for run in self.anchor_runs])[0]

    @property
    def pipeline_share(self) -> float:
        return self.pipeline_rate / self.anchor_rate


# Documents, built once

def build_sources(tenants: list[TenantRef]) -> list[dict]:
    """Every product's document as the OpenSearch backend sends it, read from the catalog in batches."""
    sources = []
    for tenant_ref in tenants:
        tenant = load_tenant(tenant_ref.id)
        for batch in iter_tenant_documents(tenant, batch_size=PRODUCT_IDS_PER_MESSAGE):
            sources += [_source(document) for document in batch]
    return sources


# The pipeline

def write_index_messages(catalog: SeededCatalog, products_per_seller: int, job: str = INDEX_JOB) -> list[int]:
    """Pending outbox rows naming every product, ~1000 ids each, one transaction per chunk as an import does."""
    message_ids = []
    for tenant in catalog.tenants:
        for first_id in range(1, products_per_seller + 1, PRODUCT_IDS_PER_MESSAGE):
            product_ids = list(range(first_id, min(first_id + PRODUCT_IDS_PER_MESSAGE, products_per_seller + 1)))
            with UnitOfWork(tenant) as uow:
                message = uow.add_message(job, {"tenant_id": tenant.id, "product_ids": product_ids},
                                          queue=SEARCH_QUEUE)
                uow.commit()
            message_ids.append(message.id)
    return message_ids


def run_pipeline(meter: CpuMeter, message_ids: list[int], worker_environment: dict[str, str],
                 refresh: Callable[[], None]) -> PipelineRun:
    def relay_and_work() -> None:
        relayed = sweep_outbox()
        if relayed != len(message_ids):
            raise RuntimeError(f"the sweep relayed {relayed} outbox rows, {len(message_ids)} were pending")
        run_burst_workers(worker_environment)
        refresh()

    run = measured(meter, relay_and_work)
    check_nothing_failed(len(message_ids))
    jobs_run = Job.fetch_many([f"outbox-{message_id}" for message_id in message_ids], connection=redis_client.client)
    return PipelineRun(run.seconds, run.cpu, [(job.ended_at - job.started_at).total_seconds() for job in jobs_run])


def run_burst_workers(environment: dict[str, str]) -> None:
    command = [sys.executable, "-m", "workers.worker", "--burst", "--in-process", SEARCH_QUEUE]
    workers = [subprocess.Popen(command, cwd=ROOT, env=environment) for _ in range(WORKER_COUNT)]
    try:
        exit_codes = [worker.wait() for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    if any(exit_codes):
        raise RuntimeError(f"RQ workers exited with {exit_codes}")


def check_nothing_failed(job_count: int) -> None:
    queue = get_queue(SEARCH_QUEUE)
    failed = FailedJobRegistry(queue=queue)
    retrying = ScheduledJobRegistry(queue=queue)
    if queue.count or failed.count or retrying.count:
        reasons = [job.latest_result().exc_string.splitlines()[-1]
                   for job in Job.fetch_many(failed.get_job_ids()[:3], connection=redis_client.client) if job]
        raise RuntimeError(f"of {job_count} search jobs, {queue.count} still queued, {failed.count} failed and "
                           f"{retrying.count} waiting to retry: {reasons}")


def measure_rq_costs(meter: CpuMeter, catalog: SeededCatalog, products_per_seller: int,
                     worker_environment: dict[str, str]) -> RqCosts:
    """Burst workers started on an empty queue, then the pipeline's jobs doing nothing."""
    run_burst_workers(worker_environment)  # a first start reads the code from disk: not what is measured
    worker_start = measured(meter, lambda: run_burst_workers(worker_environment))
    message_ids = write_index_messages(catalog, products_per_seller, NOOP_JOB)
    return RqCosts(worker_start, run_pipeline(meter, message_ids, worker_environment, lambda: None))


# Anchors

def raw_opensearch_bulk(backend: OpenSearchBackend, index: str, sources: list[dict]) -> None:
    """helpers.bulk of `sources` into `index` (already created), then a refresh."""
    actions = ({"_index": index, "_id": f"{source['seller_id']}-{source['product_id']}",
                "routing": str(source["seller_id"]), "_source": source} for source in sources)
    helpers.bulk(backend.client, actions)
    backend.client.indices.refresh(index=index)


def raw_postgres_insert(database_url: str, sources: list[dict]) -> None:
    """The distinct attribute sets, one executemany of every row (psycopg pipelines it), then the sellers' facet
    counts as the backend writes them, in one transaction."""
    distinct_attributes = {tuple(sorted(source["attributes"].items())): source["attributes"] for source in sources}
    with psycopg.connect(psycopg_url(database_url)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(POSTGRES_ATTRIBUTE_SETS_INSERT,
                           [[Jsonb(attributes) for attributes in distinct_attributes.values()]])
            cursor.executemany(POSTGRES_ROW_INSERT, (_postgres_row(source) for source in sources))
        recount_facets(connection, sorted({source["seller_id"] for source in sources}))


def _postgres_row(source: dict) -> dict:
    return {**source, "attributes": Jsonb(source["attributes"]),
            "category_names": " ".join(source["category_path_names"])}


def empty_postgres_documents(database_url: str) -> None:
    with psycopg.connect(psycopg_url(database_url)) as connection:
        connection.execute("TRUNCATE platform.search_documents, platform.search_attribute_sets")


def count_postgres_documents(database_url: str) -> int:
    with psycopg.connect(psycopg_url(database_url)) as connection:
        return connection.execute("SELECT count(*) FROM platform.search_documents").fetchone()[0]


def vacuum_postgres_documents(database_url: str) -> None:
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) platform.search_documents")


def require_count(what: str, found: int, expected: int) -> None:
    if found != expected:
        raise RuntimeError(f"{what} holds {found:,} documents, expected {expected:,}")


# Where one job's time goes

def profile_one_job(app: Flask, catalog: SeededCatalog, products_per_seller: int) -> JobProfile:
    """A job warmed up on a third seller, then timed on the first and profiled on the second.

    Each on a seller of its own: a second write of the same products would be stale, and cost less.
    """
    product_ids = list(range(1, min(PRODUCT_IDS_PER_MESSAGE, products_per_seller) + 1))
    time_job(app, catalog.tenants[2], product_ids)
    wall_seconds, cpu_seconds = time_job(app, catalog.tenants[0], product_ids)
    return JobProfile(len(product_ids), wall_seconds, cpu_seconds, profile_job(app, catalog.tenants[1], product_ids))


def time_job(app: Flask, tenant: TenantRef, product_ids: list[int]) -> tuple[float, float]:
    """Wall and CPU seconds the job's entry point takes in this process."""
    cpu_started = time.process_time()
    with app.app_context():
        wall_seconds = timed(lambda: jobs.index_products(tenant.id, product_ids))
    return wall_seconds, time.process_time() - cpu_started


def profile_job(app: Flask, tenant: TenantRef, product_ids: list[int]) -> dict[str, float]:
    """Cumulative seconds of the job's named parts (`JOB_PARTS`) under cProfile, in this process."""
    profiler = cProfile.Profile()
    with app.app_context():
        profiler.runcall(jobs.index_products, tenant.id, product_ids)
    cumulative = {(os.path.basename(filename), name): entry[3]
                  for (filename, _, name), entry in pstats.Stats(profiler).stats.items()}
    return {label: cumulative[(filename, name)] for label, filename, name in JOB_PARTS
            if (filename, name) in cumulative}


# Report

def report_lines(figures: IndexingFigures) -> list[str]:
    pipeline_seconds = [run.seconds for run in figures.pipeline_runs]
    anchor_seconds = [run.seconds for run in figures.anchor_runs]
    jobs_seconds = [seconds for run in figures.pipeline_runs for seconds in run.job_seconds]
    job_count = len(figures.pipeline_runs[0].job_seconds)
    job_median, job_p95 = median_and_p95(jobs_seconds)
    busy_share = sum(jobs_seconds) / (WORKER_COUNT * sum(pipeline_seconds))
    rq = figures.rq_costs
    noop = rq.noop_run
    real_job_cpu_seconds = statistics.median(run.cpu.workers for run in figures.pipeline_runs) / job_count
    profile = figures.job_profile
    profiled_parts = ", ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in profile.parts.items())
    return [
        figure_line(f"pipeline (outbox -> sweep -> {WORKER_COUNT} RQ burst workers -> index_products)",
                    pipeline_seconds, figures.anchor_label, anchor_seconds, unit="s"),
        f"  {figures.pipeline_rate:,.0f} docs/s, {_seconds_list(pipeline_seconds)} | anchor "
        f"{figures.anchor_rate:,.0f} docs/s, {_seconds_list(anchor_seconds)} | {figures.pipeline_share:.0%} of the "
        f"anchor's rate (medians)",
        f"  where the pipeline's time goes: {job_count} jobs a run, each {job_median:.2f} s median, "
        f"{job_p95:.2f} s p95 (RQ started -> ended); the {WORKER_COUNT} workers busy with jobs {busy_share:.0%} "
        f"of the window",
        f"  CPU per 1,000 documents (median of the runs), pipeline: {_cpu_shares(figures.pipeline_runs, figures)}"
        f" | anchor: {_cpu_shares(figures.anchor_runs, figures)}",
        f"  RQ alone: the same {len(noop.job_seconds)} jobs doing nothing take {noop.seconds:.1f} s, of which "
        f"{rq.worker_start.seconds:.1f} s starting and stopping {WORKER_COUNT} burst workers; beyond that, each job "
        f"costs {rq.seconds_per_job() * 1000:.0f} ms of a worker's time and {rq.cpu_seconds_per_job() * 1000:.0f} ms "
        f"CPU (the real jobs: {real_job_cpu_seconds * 1000:.0f} ms CPU each, start-up included)",
        f"  one job in this process, warm ({profile.product_count} products): {profile.wall_seconds * 1000:.0f} ms "
        f"wall, {profile.cpu_seconds * 1000:.0f} ms CPU; under cProfile: {profiled_parts}",
    ]


def _cpu_shares(runs: list[Run], figures: IndexingFigures) -> str:
    per_thousand = {side: statistics.median(getattr(run.cpu, side) for run in runs) * 1000 / figures.document_count
                    for side in _cpu_sides()}
    labels = {"this_process": "this process", "workers": "RQ workers", "opensearch": "OpenSearch",
              "postgres": "PostgreSQL"}
    return ", ".join(f"{labels[side]} {seconds * 1000:.0f} ms" for side, seconds in per_thousand.items())


def _seconds_list(samples: list[float]) -> str:
    return "runs " + " / ".join(f"{seconds:.1f} s" for seconds in samples)
