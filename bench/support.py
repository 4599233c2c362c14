"""What every benchmark needs: a database of its own, and figures printed beside their anchor."""
from __future__ import annotations

import os
import statistics
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import psycopg

from marketplace.embedded import drop_embedded_database, embedded_database_url
from migrations import upgrade_shared
from tenants.shards import DEFAULT_SHARD, shards

BENCH_VAR_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


@contextmanager
def bench_database(purpose: str) -> Iterator[str]:
    """A fresh database with the shared schema, bound to the shard map, dropped afterwards.

    On the server DATABASE_URL names if set, else on the embedded server under var/bench.
    """
    name = f"bench_{purpose}_{uuid.uuid4().hex[:6]}"
    given = os.environ.get("DATABASE_URL")
    url = _create_database(given, name) if given else embedded_database_url(BENCH_VAR_DIR, database=name)
    try:
        upgrade_shared(url)
        shards.configure({DEFAULT_SHARD: url}, pool_size=2)
        yield url
    finally:
        shards.dispose()
        drop_embedded_database(url)


def _create_database(server_url: str, name: str) -> str:
    plain = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = plain.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_and_p95(samples: Sequence[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return samples[0], samples[0]
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[-1]


def figure_line(label: str, samples: Sequence[float], anchor_label: str, anchor_samples: Sequence[float],
                unit: str = "ms") -> str:
    """`label: median, p95 (n runs) | anchor: median, p95 | median ratio`, in ms or s."""
    def shown(seconds: float) -> str:
        return f"{seconds * 1000:.1f} ms" if unit == "ms" else f"{seconds:.2f} s"

    median, p95 = median_and_p95(samples)
    anchor_median, anchor_p95 = median_and_p95(anchor_samples)
    return (f"{label}: median {shown(median)}, p95 {shown(p95)} ({len(samples)} runs)"
            f" | anchor, {anchor_label}: median {shown(anchor_median)}, p95 {shown(anchor_p95)}"
            f" | {median / anchor_median:.1f}x the anchor")


def goal_line(goal: str, met: bool) -> str:
    return f"  goal {goal}: {'met' if met else 'NOT MET'}"
