"""What every benchmark needs: servers of its own, and figures printed beside their anchor."""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import psycopg

from marketplace.core.embedded import EmbeddedRedis, drop_embedded_database, embedded_database_url
from marketplace.core.extensions import redis_client
from marketplace.tables import register_tenant_schema
from migrations import upgrade_shard, upgrade_shared
from tenants.shards import DEFAULT_SHARD, shards

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = ROOT / "var" / "bench"


SECOND_SHARD = "second"


@contextmanager
def bench_database(purpose: str, two_servers: bool = False) -> Iterator[str]:
    """A fresh control database (shard `default`), bound to the shard map, dropped afterwards; yields its URL.

    On the server DATABASE_URL names if set, else on the embedded server under
    var/bench. `two_servers` adds the shard `second` on another server
    (SECOND_SHARD_URL's, else the embedded one under var/bench-shard2), and new
    tenants alternate between the two.
    """
    name = f"bench_{purpose}_{uuid.uuid4().hex[:6]}"
    urls = {DEFAULT_SHARD: _bench_database_on(os.environ.get("DATABASE_URL"), BENCH_VAR_DIR, name)}
    if two_servers:
        urls[SECOND_SHARD] = _bench_database_on(os.environ.get("SECOND_SHARD_URL"), ROOT / "var" / "bench-shard2",
                                                name)
    try:
        for url in urls.values():
            upgrade_shard(url)
        upgrade_shared(urls[DEFAULT_SHARD])
        shards.configure(urls, pool_size=2)
        register_tenant_schema()  # the benchmarks that provision tenants run without create_app
        yield urls[DEFAULT_SHARD]
    finally:
        shards.dispose()
        for url in urls.values():
            drop_embedded_database(url)


def _bench_database_on(server_url: str | None, embedded_var_dir: Path, name: str) -> str:
    return _create_database(server_url, name) if server_url else embedded_database_url(embedded_var_dir, database=name)


def psycopg_url(database_url: str) -> str:
    """The SQLAlchemy URL of a database as psycopg.connect takes it."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _create_database(server_url: str, name: str) -> str:
    plain = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = plain.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def bench_redis() -> Iterator[str]:
    """A Redis server of its own under var/bench, bound to the app's client; yields its URL."""
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BENCH_VAR_DIR, prefix="redis-") as folder:
        server = EmbeddedRedis(folder)
        url = server.start()
        redis_client.configure(url)
        try:
            yield url
        finally:
            server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(app_path: str, ready_path: str, environment: dict[str, str], workers: int,
             threads_per_worker: int, keep_alive_seconds: int | None = None) -> Iterator[str]:
    """Serve `app_path` with gunicorn (gthread) on a free local port until the block ends; yields the base URL.

    `keep_alive_seconds` overrides gunicorn's 2 s for a client that pauses longer between requests.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
               "--threads", str(threads_per_worker), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               *(["--keep-alive", str(keep_alive_seconds)] if keep_alive_seconds else []), app_path]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base_url + ready_path)
        yield base_url
    finally:
        process.terminate()
        process.wait(30)


def wait_until_ready(process: subprocess.Popen, url: str, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not serve {url} within {timeout_seconds:.0f} s")


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
