"""Helpers of the console's page tests: an operator logged in, and data made through the services."""
from __future__ import annotations

from rq import SimpleWorker

from marketplace.sellers import applications
from tests.conftest import PASSWORD
from tests.web.conftest import log_in
from workers.queues import get_queue

OPERATOR_EMAIL = "ops@example.com"
APPLICATION = {"contact_email": "shop@example.com", "country": "PT", "currency": "EUR",
               "description": "Hand tools, forged in Porto."}


def as_operator(page, account, next_path: str = "/console") -> None:
    """Log the page in as an operator and open `next_path`."""
    account(OPERATOR_EMAIL, full_name="Olga Operator", operator=True)
    log_in(page, OPERATOR_EMAIL, next_path=next_path)


def applied(app, account, email: str, shop_name: str, slug: str) -> int:
    """A verified user's pending application to open `slug`; returns the application's id."""
    user_id = account(email)
    with app.app_context():
        return applications.apply_for_shop(user_id, shop_name=shop_name, wanted_slug=slug, **APPLICATION).id


def api_headers(client, email: str) -> dict[str, str]:
    """The API's bearer header of `email` (to check through the API what a page did)."""
    token = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def console_paths(app, method: str = "GET", **ids) -> list[str]:
    """Every console address of `method`, its parameters filled with `ids`, else made-up values."""
    values = {"application_id": 1, "category_id": 1, "rule_id": 1, "plan_id": 1, "run_id": 1, "slug": "acme-tools",
              "queue_name": "default", "job_id": "no-such-job", **ids}
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and method in rule.methods:
            paths.append(rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1])
    return sorted(paths)


def failed_job(app, queue_name: str = "default") -> str:
    """A job that failed in a worker and rests in the queue's failed registry; returns its id.

    It is `int("not a number")`: its error is "ValueError: invalid literal for int() with base 10: 'not a number'".
    """
    with app.app_context():
        queue = get_queue(queue_name)
        job = queue.enqueue("builtins.int", "not a number")
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert queue.failed_job_registry.get_job_ids() == [job.id]
    return job.id
