"""An overloaded OpenSearch node (429): refused writes and searches are sent again, then fail loudly.

A real node refuses work as overloaded only when its thread pool queues
are full, which a test cannot bring about on demand. `OverloadedNode` wraps
the real client and injects just that: the items it refuses never reach
the node (it answers them with a fabricated 429), everything else does. So
a refused document is in the real index only if a retry sent it again.
"""
from __future__ import annotations

import json
import logging

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from marketplace.search import jobs, services
from marketplace.search.opensearch_backend import VERSION_STEP, OpenSearchBackend
from marketplace.search.port import IndexingFailed
from tests.workers.support import job_id_of, run_jobs, write_message
from workers.queues import get_queue

REJECTED = {"type": "es_rejected_execution_exception",
            "reason": "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
                      "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, "
                      "max_coordinating_and_primary_bytes=0]"}


class OverloadedNode:
    """The real client, but the node refuses chosen documents, or whole searches, a number of times."""

    def __init__(self, real: OpenSearch):
        self.real = real
        self._refusals_left_by_doc_id: dict[str, int] = {}
        self._search_refusals_left = 0

    def refuse_documents(self, doc_ids: list[str], times: int) -> None:
        """Each of these documents is refused by the next `times` bulk requests that carry it."""
        self._refusals_left_by_doc_id.update({doc_id: times for doc_id in doc_ids})

    def refuse_searches(self, times: int) -> None:
        self._search_refusals_left = times

    def bulk(self, body: bytes, **params) -> dict:
        actions = _bulk_actions(body.decode())
        refused = [self._refuses(meta) for meta, _ in actions]
        forwarded = [line for (_, lines), refuse in zip(actions, refused) if not refuse for line in lines]
        answered = iter(self.real.bulk(body="\n".join(forwarded) + "\n", **params)["items"] if forwarded else [])
        items = [_rejection(meta) if refuse else next(answered) for (meta, _), refuse in zip(actions, refused)]
        return {"took": 0, "errors": any(refused), "items": items}

    def search(self, **params) -> dict:
        if self._search_refusals_left > 0:
            self._search_refusals_left -= 1
            raise TransportError(429, REJECTED["type"], {"error": {"root_cause": [REJECTED], **REJECTED},
                                                         "status": 429})
        return self.real.search(**params)

    def __getattr__(self, name: str):
        # indices, cluster, count, scroll...: the real client's.
        return getattr(self.real, name)

    def _refuses(self, meta: dict) -> bool:
        doc_id = next(iter(meta.values()))["_id"]
        if self._refusals_left_by_doc_id.get(doc_id, 0) <= 0:
            return False
        self._refusals_left_by_doc_id[doc_id] -= 1
        return True


def _bulk_actions(body: str) -> list[tuple[dict, list[str]]]:
    """The bulk body's actions: (action line parsed, its lines); index actions carry a source line."""
    lines = body.splitlines()
    actions, position = [], 0
    while position < len(lines):
        meta = json.loads(lines[position])
        width = 1 if "delete" in meta else 2
        actions.append((meta, lines[position:position + width]))
        position += width
    return actions


def _rejection(meta: dict) -> dict:
    [(op, target)] = meta.items()
    return {op: {"_index": target["_index"], "_id": target["_id"], "status": 429, "error": REJECTED}}


@pytest.fixture
def node(opensearch_backend) -> OverloadedNode:
    return OverloadedNode(opensearch_backend.client)


@pytest.fixture
def overloaded(opensearch_backend, node, install_backend) -> OpenSearchBackend:
    """The app's backend talks to the node through `node`; two documents per bulk request, no real backoff."""
    return install_backend(OpenSearchBackend(node, prefix=opensearch_backend.names.prefix, chunk_size=2,
                                             max_retries=3, retry_backoff_seconds=0.001))


@pytest.fixture
def teapots(catalog):
    """Five products of acme, not indexed yet; two were edited, so their versions are 2 and 3."""
    acme = catalog.seller("acme")
    product_ids = [catalog.product(acme, f"Teapot {number}", index=False) for number in range(1, 6)]
    catalog.change(acme, product_ids[1], index=False, title="Teapot 2, glazed")
    catalog.change(acme, product_ids[3], index=False, title="Teapot 4, glazed")
    catalog.change(acme, product_ids[3], index=False, title="Teapot 4, glazed twice")
    return acme, product_ids


def indexed_versions(backend: OpenSearchBackend, seller_id: int) -> dict[int, tuple[int, int]]:
    """Product id -> (document version, OpenSearch's external version), read from the real node."""
    real = backend.client.real
    real.indices.refresh(index=backend.names.all_indices)
    response = real.search(index=backend.names.all_indices, body={
        "query": {"term": {"seller_id": seller_id}}, "version": True, "size": 100})
    return {hit["_source"]["product_id"]: (hit["_source"]["version"], hit["_version"])
            for hit in response["hits"]["hits"]}


def doc_ids(seller_id: int, product_ids: list[int]) -> list[str]:
    return [f"{seller_id}-{product_id}" for product_id in product_ids]


def test_documents_refused_as_overloaded_are_sent_again_until_the_node_takes_them(overloaded, node, teapots,
                                                                                  caplog):
    acme, product_ids = teapots
    # Refused in three bulk requests of different chunks, then accepted: within the backend's three retries.
    node.refuse_documents(doc_ids(acme.id, product_ids[1:4]), times=3)

    with caplog.at_level(logging.WARNING, logger="marketplace.search.opensearch_backend"):
        report = services.index_products(acme.id, product_ids)

    assert (report.written, report.stale) == (5, 0)
    assert indexed_versions(overloaded, acme.id) == {
        product_id: (version, version * VERSION_STEP)
        for product_id, version in zip(product_ids, [1, 2, 1, 3, 1])
    }
    assert any("refused, retrying" in record.getMessage() for record in caplog.records)


def test_documents_refused_past_the_retries_fail_the_job_with_their_ids_and_reasons(overloaded, node, teapots):
    acme, product_ids = teapots
    refused_doc_id = doc_ids(acme.id, product_ids[3:4])[0]
    node.refuse_documents([refused_doc_id], times=overloaded.max_retries + 1)

    with pytest.raises(IndexingFailed) as failure:
        jobs.index_products(acme.id, product_ids)

    assert list(failure.value.failures) == [f"{overloaded.names.seller_alias(acme.id)}/{refused_doc_id}"]
    assert next(iter(failure.value.failures.values())).startswith("429 es_rejected_execution_exception: ")
    assert set(indexed_versions(overloaded, acme.id)) == set(product_ids) - {product_ids[3]}


def test_a_job_whose_writes_stay_refused_is_retried_later_by_rq_and_then_indexes(app, overloaded, node, teapots,
                                                                                  caplog):
    acme, product_ids = teapots
    node.refuse_documents(doc_ids(acme.id, product_ids), times=overloaded.max_retries + 1)
    message_id = write_message("marketplace.search.jobs.index_products",
                               {"tenant_id": acme.id, "product_ids": product_ids}, queue="search", tenant=acme)
    job_id = job_id_of(message_id, acme)
    retries = get_queue("search").scheduled_job_registry

    with caplog.at_level(logging.ERROR, logger="marketplace.search.jobs"):
        run_jobs(app)
    scheduled_for_retry = job_id in retries
    retries.requeue(job_id)  # what RQ's scheduler does once the backoff has elapsed; the node has recovered
    run_jobs(app)

    assert scheduled_for_retry
    [logged] = [record for record in caplog.records if record.getMessage().startswith("search indexing failed")]
    seller_alias = overloaded.names.seller_alias(acme.id)
    assert sorted(logged.failures) == sorted(f"{seller_alias}/{doc_id}" for doc_id in doc_ids(acme.id, product_ids))
    assert set(indexed_versions(overloaded, acme.id)) == set(product_ids)


def test_a_search_refused_as_overloaded_is_retried(client, overloaded, node, catalog, caplog):
    acme = catalog.seller("acme")
    catalog.product(acme, "Teapot")
    overloaded.refresh()
    node.refuse_searches(times=overloaded.max_retries)

    with caplog.at_level(logging.WARNING, logger="marketplace.search.opensearch_backend"):
        response = client.get("/api/v1/search?q=teapot")

    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == ["Teapot"]
    assert sum("refused as overloaded, retrying" in record.getMessage() for record in caplog.records) == 3


def test_a_search_refused_past_the_retries_is_a_503_to_try_again_later(client, overloaded, node, catalog):
    acme = catalog.seller("acme")
    catalog.product(acme, "Teapot")
    overloaded.refresh()
    node.refuse_searches(times=overloaded.max_retries + 1)

    response = client.get("/api/v1/search?q=teapot")

    assert response.status_code == 503
    assert response.get_json()["code"] == "unavailable"
    assert response.headers["Retry-After"] == "5"
