"""The README's pictures of the three faces, taken from the demo data in Debian's Chromium.

    .venv/bin/python -m scripts.screenshots      (writes docs/screenshots/{storefront,portal,console}.png)

A fresh database with `flask seed demo`'s data, the app served on loopback
from a thread, one headless Chromium (as the page tests drive it).
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.support import bench_database, bench_redis
from marketplace.app import create_app
from marketplace.cli import DEMO_MONEY_QUEUES
from marketplace.demo import DEMO_PASSWORD, DEMO_SELLERS, OPERATOR_EMAIL, seed_demo
from workers.relay import install_commit_relay_if_enabled
from workers.worker import run_queued_jobs

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    with bench_database("screenshots") as database_url, bench_redis() as redis_url:
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                          "RATE_LIMIT_ENABLED": False})
        install_commit_relay_if_enabled(app.config)
        with app.app_context():
            seed_demo(lambda: run_queued_jobs(app, DEMO_MONEY_QUEUES))
            run_queued_jobs(app)  # search indexing too: the home page's shelves read it
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                shots = [("storefront", None, "/"),
                         ("portal", DEMO_SELLERS[0].owner_email, f"/portal/{DEMO_SELLERS[0].slug}"),
                         ("console", OPERATOR_EMAIL, "/console/tenants")]
                for name, email, path in shots:
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    if email:
                        log_in(page, base, email)
                    page.goto(base + path)
                    page.screenshot(path=str(FOLDER / f"{name}.png"))
                    context.close()
                    print(f"{name}: {FOLDER / f'{name}.png'}")
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
