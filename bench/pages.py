"""The heaviest page of each web face, beside the JSON API calls that read the same data, in the same run.

    .venv/bin/python -m bench.pages            (PAGES_BENCH_SAMPLES sets the requests per figure; default 200)

Setup (not timed): a fresh database with the demo data (`flask seed demo`: three sellers, their products, the
demo buyer's orders and money) and 1,000 more tenants written in one INSERT … SELECT (the console's tenants list
reads the shared tenants table only).

Timed: each request whole, in process, through the app's WSGI stack (Flask's test client: routing, the session,
authentication, the services, rendering or JSON), so the figures are server time without a network. Pages and
API calls alternate, one at a time, after a warm-up round:

- marketplace home `/` (anonymous) | the API calls reading its data: `GET /api/v1/categories`,
  `GET /api/v1/search?sort=rating&page_size=8` (featured), `GET /api/v1/products?sort=newest&page_size=8`;
- seller dashboard `/portal/<slug>` (the owner) | `GET /api/v1/sellers/<slug>/orders?status=awaiting_acceptance`,
  `GET /api/v1/sellers/<slug>/balance` … the calls a client would make for what the page shows;
- operator tenants list `/console/tenants` (1,000+ tenants, first page) | `GET /api/v1/operator/tenants`.

Goal (issue 14): a page costs at most twice its API calls, p95 under 100 ms.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Callable

import psycopg

from bench.support import bench_database, bench_redis, figure_line, goal_line, median_and_p95, psycopg_url
from marketplace.app import create_app
from marketplace.cli import DEMO_MONEY_QUEUES
from marketplace.demo import DEMO_PASSWORD, DEMO_SELLERS, OPERATOR_EMAIL, seed_demo
from workers.relay import install_commit_relay_if_enabled
from workers.worker import run_queued_jobs

SAMPLES = int(os.environ.get("PAGES_BENCH_SAMPLES", "200"))
WARM_UP = 20
EXTRA_TENANTS = 1000
GOAL_P95_MS = 100.0
GOAL_RATIO = 2.0
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

EXTRA_TENANTS_SQL = """
INSERT INTO platform.tenants (slug, display_name, status, currency, country)
SELECT 'bench-seller-' || n, 'Bench Seller ' || n, (ARRAY['active','active','active','suspended','pending'])[1 + n %% 5],
       'USD', 'US'
FROM generate_series(1, %(count)s) AS n
"""


@dataclass(frozen=True)
class Figure:
    label: str
    page: Callable[[], object]
    anchor_label: str
    anchor: Callable[[], object]


def page_client(app, email: str | None):
    """A test client with a page session: logged in through the login form (CSRF token and all) when `email`."""
    client = app.test_client()
    if email is None:
        return client
    login_page = client.get("/login").get_data(as_text=True)
    token = next(group for group in CSRF_FIELD.search(login_page).groups() if group)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"page login of {email} failed: {response.status_code}"
    return client


def api_headers(app, email: str) -> dict[str, str]:
    response = app.test_client().post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def getter(client, path: str, headers: dict[str, str] | None = None) -> Callable[[], object]:
    def get():
        response = client.get(path, headers=headers or {})
        assert response.status_code == 200, f"{path}: {response.status_code}"
        return response
    return get


def in_sequence(*calls: Callable[[], object]) -> Callable[[], object]:
    def run():
        for call in calls:
            call()
    return run


def figures(app) -> list[Figure]:
    seller_slug = DEMO_SELLERS[0].slug
    owner_email = DEMO_SELLERS[0].owner_email
    anonymous = app.test_client()
    owner_page, operator_page = page_client(app, owner_email), page_client(app, OPERATOR_EMAIL)
    api = app.test_client()
    owner_api, operator_api = api_headers(app, owner_email), api_headers(app, OPERATOR_EMAIL)
    return [
        Figure("marketplace home /", getter(anonymous, "/"),
               "categories + featured search + newest products",
               in_sequence(getter(api, "/api/v1/categories"),
                           getter(api, "/api/v1/search?sort=rating&page_size=8"),
                           getter(api, "/api/v1/products?sort=newest&page_size=8"))),
        Figure(f"seller dashboard /portal/{seller_slug}", getter(owner_page, f"/portal/{seller_slug}"),
               "awaiting orders + products",
               in_sequence(getter(api, f"/api/v1/sellers/{seller_slug}/orders?status=awaiting_acceptance"
                                       "&sort=acceptance_due_at&page_size=10", owner_api),
                           getter(api, f"/api/v1/sellers/{seller_slug}/products?page_size=10", owner_api))),
        Figure(f"operator tenants list /console/tenants ({EXTRA_TENANTS}+ tenants)",
               getter(operator_page, "/console/tenants"),
               "GET /api/v1/operator/tenants", getter(api, "/api/v1/operator/tenants", operator_api)),
    ]


def measure(figure: Figure) -> tuple[list[float], list[float]]:
    for _ in range(WARM_UP):
        figure.page()
        figure.anchor()
    page_seconds, anchor_seconds = [], []
    for _ in range(SAMPLES):
        for action, samples in ((figure.page, page_seconds), (figure.anchor, anchor_seconds)):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
    return page_seconds, anchor_seconds


def main() -> None:
    print(f"pages: the heaviest page of each face, {SAMPLES} requests each beside its API calls, in process")
    with bench_database("pages") as database_url, bench_redis() as redis_url:
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                          "RATE_LIMIT_ENABLED": False, "WEB_COOKIE_SECURE": False})
        install_commit_relay_if_enabled(app.config)  # as wsgi.py does: the demo's jobs follow their commits
        with app.app_context():
            seed_demo(lambda: run_queued_jobs(app, DEMO_MONEY_QUEUES))
        with psycopg.connect(psycopg_url(database_url)) as connection:
            connection.execute(EXTRA_TENANTS_SQL, {"count": EXTRA_TENANTS})
            connection.execute("ANALYZE")
        all_met = True
        for figure in figures(app):
            page_seconds, anchor_seconds = measure(figure)
            print(figure_line(figure.label, page_seconds, figure.anchor_label, anchor_seconds))
            page_median, page_p95 = median_and_p95(page_seconds)
            anchor_median, _ = median_and_p95(anchor_seconds)
            met = page_p95 * 1000 < GOAL_P95_MS and page_median <= GOAL_RATIO * anchor_median
            all_met &= met
            print(goal_line(f"p95 < {GOAL_P95_MS:.0f} ms and at most {GOAL_RATIO:g}x the API", met))
        print(goal_line("every face", all_met))


if __name__ == "__main__":
    main()
