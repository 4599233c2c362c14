"""A job never trusts a tenant id in its payload beyond what its outbox row recorded (DESIGN §3)."""
from __future__ import annotations

from rq.job import Job, JobStatus

from marketplace.core.extensions import redis_client
from tests.workers.support import count_runs, job_id_of, run_jobs, write_message

RECORD_TENANT_RUN = "tests.workers.jobs.record_tenant_run"


def _status(message_id: int, tenant=None) -> JobStatus:
    return Job.fetch(job_id_of(message_id, tenant), connection=redis_client.client).get_status()


def test_a_job_runs_for_the_tenant_its_outbox_row_recorded(app, make_seller):
    shop = make_seller("shop")
    message_id = write_message(RECORD_TENANT_RUN, {"tenant_id": shop.id, "run_key": "own"}, tenant=shop)

    run_jobs(app)

    assert count_runs("own") == 1
    assert _status(message_id, shop) == JobStatus.FINISHED


def test_a_job_whose_payload_names_another_tenant_is_refused_for_good(app, make_seller):
    shop, other_shop = make_seller("shop"), make_seller("other-shop")
    message_id = write_message(RECORD_TENANT_RUN, {"tenant_id": other_shop.id, "run_key": "other"}, tenant=shop)

    run_jobs(app)

    assert count_runs("other") == 0
    assert _status(message_id, shop) == JobStatus.FAILED  # not scheduled for a retry: the row will not change


def test_a_job_naming_a_tenant_its_unbound_transaction_did_not_record_is_refused(app, make_seller):
    shop = make_seller("shop")
    message_id = write_message(RECORD_TENANT_RUN, {"tenant_id": shop.id, "run_key": "unbound"})

    run_jobs(app)

    assert count_runs("unbound") == 0
    assert _status(message_id) == JobStatus.FAILED
