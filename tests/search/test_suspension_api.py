"""An operator's suspension hides a seller from buyers' searches at once, before any job has run.

The status job that rewrites the documents' `seller_active` is left waiting
in its queue on purpose: what buyers see follows the registry itself.
"""
from __future__ import annotations

from workers.queues import get_queue

TENANTS = "/api/v1/operator/tenants"
STATUS_JOB = "marketplace.search.jobs.sync_tenant_status"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def seller_facet(response) -> dict[str, int]:
    return {seller["slug"]: seller["count"] for seller in response.get_json()["facets"]["sellers"]}


def suggested(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [suggestion["text"] for suggestion in response.get_json()["suggestions"]]


def waiting_status_jobs() -> int:
    return sum(1 for job in get_queue("search").get_jobs() if job.func_name == STATUS_JOB)


def test_a_suspended_seller_vanishes_from_every_buyer_search_before_any_job_runs(client, operator, shop):
    suspension = client.post(f"{TENANTS}/acme/suspend", json={"reason": "Counterfeit goods reported"},
                             headers=operator.headers)

    assert suspension.status_code == 200
    assert waiting_status_jobs() == 1  # no worker ran: the documents still say acme is active
    assert titles(client.get("/api/v1/search?q=headphones")) == ["Bluetooth Speaker"]
    everything = client.get("/api/v1/search")
    assert titles(everything) == ["Stoneware Mug", "Bluetooth Speaker"]
    assert seller_facet(everything) == {"globex": 2}
    assert titles(client.get("/api/v1/search?seller=acme")) == []
    assert suggested(client.get("/api/v1/search/suggest?q=iph")) == []
    assert client.get("/api/v1/sellers/acme/search?q=iphone").status_code == 404
    assert client.get("/api/v1/search/suggest?q=iph&seller=acme").status_code == 404


def test_a_resumed_seller_is_back_in_buyer_searches(client, operator, shop):
    client.post(f"{TENANTS}/acme/suspend", json={"reason": "Counterfeit goods reported"}, headers=operator.headers)

    resumption = client.post(f"{TENANTS}/acme/resume", json={}, headers=operator.headers)

    assert resumption.status_code == 200
    assert waiting_status_jobs() == 2
    assert titles(client.get("/api/v1/search?q=headphones")) == ["Wireless Headphones", "Bluetooth Speaker"]
    assert seller_facet(client.get("/api/v1/search")) == {"acme": 3, "globex": 2}
    assert suggested(client.get("/api/v1/search/suggest?q=iph")) == ["iPhone 15", "iPhone 15 Pro Case"]
    assert titles(client.get("/api/v1/sellers/acme/search?q=iphone&sort=price_asc")) == ["iPhone 15 Pro Case",
                                                                                         "iPhone 15"]


def test_a_closed_seller_vanishes_before_the_job_removes_its_documents(client, operator, shop):
    closure = client.post(f"{TENANTS}/globex/close", json={"reason": "Seller asked to leave"}, headers=operator.headers)

    assert closure.status_code == 200
    assert titles(client.get("/api/v1/search?q=headphones")) == ["Wireless Headphones"]
    assert seller_facet(client.get("/api/v1/search")) == {"acme": 3}
    assert suggested(client.get("/api/v1/search/suggest?q=sto")) == []
