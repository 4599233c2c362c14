"""`make run`: the whole platform on one machine, with nothing installed beyond Python.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are
given) and the embedded SMTP server, which keeps every mail as a file under
VAR_DIR/mail (unless SMTP_URL is given), migrates the shared schema and every tenant, seeds the demo data once,
then serves the web app (gunicorn), two RQ workers (search jobs in process,
the others forked) and the scheduler until Ctrl-C, which stops all of them
and the embedded servers. The URLs and demo logins are printed once the web
app answers /readyz.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterable

from marketplace.config import ConfigError, load_settings
from marketplace.core.embedded import EmbeddedRedis, embedded_database_url
from marketplace.mail.delivery import mail_folder
from marketplace.mail.local_server import LocalMailServer

CHILD_STOP_SECONDS = 10
# The web server answers /readyz some seconds after it starts (gunicorn imports the app in each worker).
READY_TIMEOUT_SECONDS = 120
READY_POLL_SECONDS = 0.25
# gunicorn accepts connections before its workers can answer: a short timeout would leave a queue of abandoned
# probes that the workers then answer one by one before ours.
READY_REQUEST_TIMEOUT_SECONDS = 30
# Request limits and the metrics directory shared by the workers.
GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    embedded_redis = None
    if settings["DATABASE_URL"] is None:
        settings["DATABASE_URL"] = embedded_database_url(settings["VAR_DIR"])
    if settings["REDIS_URL"] is None:
        embedded_redis = EmbeddedRedis(settings["VAR_DIR"])
        settings["REDIS_URL"] = embedded_redis.start()
    local_mail_server = None
    if settings["SMTP_URL"] is None:
        local_mail_server = LocalMailServer(mail_folder(settings["VAR_DIR"]))
        settings["SMTP_URL"] = local_mail_server.start()
    child_env = dict(os.environ, DATABASE_URL=settings["DATABASE_URL"], REDIS_URL=settings["REDIS_URL"],
                     SMTP_URL=settings["SMTP_URL"])

    _run_flask_command(["db", "upgrade"], child_env)
    _run_flask_command(["tenants", "migrate"], child_env)
    _run_flask_command(["seed", "demo"], child_env)

    children = _start_services(settings["PORT"], child_env)
    interrupted = False
    try:
        print("==> waiting for the web server to answer /readyz", flush=True)
        not_ready = wait_until_ready(f"http://127.0.0.1:{settings['PORT']}/readyz", children["web"])
        if not_ready:
            print(f"{not_ready}; stopping", file=sys.stderr)
            return 1
        _print_banner(settings["PORT"], local_mail_server.folder if local_mail_server else None)
        return _wait_for_first_exit(children)
    except KeyboardInterrupt:
        interrupted = True
        return 0
    finally:
        _stop(children, interrupted=interrupted)
        if local_mail_server is not None:
            local_mail_server.stop()
        if embedded_redis is not None:
            embedded_redis.stop()


def _run_flask_command(arguments: list[str], env: dict) -> None:
    shown = " ".join(["flask", *arguments])
    print(f"==> {shown}", flush=True)
    completed = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], env=env)
    if completed.returncode != 0:
        raise SystemExit(f"`{shown}` failed with exit code {completed.returncode}")


def _start_services(port: int, env: dict) -> dict[str, subprocess.Popen]:
    python = sys.executable
    return {
        "web": subprocess.Popen([python, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "--workers", "2",
                                 "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"], env=env),
        # Search indexing jobs are many and short: run warm, in process; the others each in a forked horse.
        "worker": subprocess.Popen([python, "-m", "workers.worker", "orders", "settlement", "read_models", "default",
                                    "webhooks"], env=env),
        "search worker": subprocess.Popen([python, "-m", "workers.worker", "--in-process", "search"], env=env),
        "scheduler": subprocess.Popen([python, "-m", "workers.scheduler"], env=env),
    }


def wait_until_ready(readyz_url: str, web: subprocess.Popen,
                     timeout_seconds: float = READY_TIMEOUT_SECONDS) -> str | None:
    """Poll /readyz until it answers 200: None then, else why not (the web server exited, or the time ran out).

    The banner says "running": printed before this, it sent people to a
    server that refused connections for several more seconds.
    """
    deadline = time.monotonic() + timeout_seconds
    last_failure = "no answer"
    while time.monotonic() < deadline:
        if web.poll() is not None:
            return f"web exited with code {web.returncode}"
        try:
            with urllib.request.urlopen(readyz_url, timeout=READY_REQUEST_TIMEOUT_SECONDS):
                return None  # urlopen raises on any status but 2xx
        except OSError as error:  # refused while gunicorn starts; 503 while a dependency is not ready yet
            last_failure = str(error)
        time.sleep(READY_POLL_SECONDS)
    return f"web did not answer /readyz within {timeout_seconds:g} s (last: {last_failure})"


def _print_banner(port: int, mail_folder: Path | None) -> None:
    base = f"http://127.0.0.1:{port}"
    mail = (f"{mail_folder}/  (one .eml file per mail; the newest: ls -t {mail_folder} | head -1)"
            if mail_folder else "sent to SMTP_URL")
    print(f"""
Marketplace is running.
  Storefront     {base}/
  Seller portal  {base}/portal
  Console        {base}/console   (operators)
  API docs       {base}/api/docs
  OpenAPI        {base}/api/v1/openapi.json
  Health         {base}/healthz   {base}/readyz
  Mail           {mail}
Demo logins (password demo-pass-123):
  operator@demo.test, buyer@demo.test,
  owner@aurora-ceramics.demo.test, owner@brightline-cycles.demo.test, owner@cedar-and-wick.demo.test
Get a token:  curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' \\
                -d '{{"email": "buyer@demo.test", "password": "demo-pass-123"}}'
Shop as the demo buyer: POST /api/v1/cart/lines (seller, variant_id, quantity) from each seller,
  POST /api/v1/checkout with an Idempotency-Key header, then POST /api/v1/orders/{{id}}/payment
  with {{"payment_method": "4242424242424242"}} (the test gateway; 4000000000000002 is declined).
Money: GET /api/v1/sellers/aurora-ceramics/balance (as its owner; also brightline-cycles, cedar-and-wick),
  GET /api/v1/operator/payout-runs and /api/v1/operator/ledger (as the operator); flask billing reconcile.
Ctrl-C stops everything.
""", flush=True)


def _wait_for_first_exit(children: dict[str, subprocess.Popen]) -> int:
    """Block until SIGTERM or until one service dies (then stop the rest); Ctrl-C raises KeyboardInterrupt."""
    stop_requested = False

    def request_stop(signum, frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    while not stop_requested:
        for name, process in children.items():
            if process.poll() is not None:
                print(f"{name} exited with code {process.returncode}; stopping", file=sys.stderr)
                return process.returncode or 1
        time.sleep(0.5)
    return 0


def _stop(children: dict[str, subprocess.Popen], *, interrupted: bool) -> None:
    """Stop every service: SIGTERM, then SIGKILL after CHILD_STOP_SECONDS.

    Ctrl-C in a terminal signals the whole process group, so the services are
    already stopping: a SIGTERM on top cut rq's scheduler short with a
    traceback. They get half the time to finish first.
    """
    if interrupted:
        _wait_for_exit(children.values(), CHILD_STOP_SECONDS / 2)
    for process in children.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    if not _wait_for_exit(children.values(), CHILD_STOP_SECONDS):
        for process in children.values():
            if process.poll() is None:
                process.kill()


def _wait_for_exit(processes: Iterable[subprocess.Popen], timeout_seconds: float) -> bool:
    """True if every process exited within the time."""
    deadline = time.monotonic() + timeout_seconds
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
