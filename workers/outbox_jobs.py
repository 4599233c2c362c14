"""Jobs hold the tenant in their payload to what their outbox row recorded.

The unit of work records on each outbox row the tenant its transaction was
bound to (`tenants.uow.UnitOfWork.add_message`). A payload is only data: a
service's slip, or a job written into Redis by hand, could name another
tenant. So before a job that takes a `tenant_id` runs, the worker reads its
outbox row and refuses the job unless the row recorded that same tenant.
A job with no outbox row (not relayed) cannot vouch for a tenant either.
Every worker runs its jobs as `OutboxJob` (workers.worker.AppJobs).
"""
from __future__ import annotations

import logging
from typing import Any

from rq.job import Job
from sqlalchemy import select

from tenants.outbox import OutboxMessage
from tenants.shards import shards
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)


class UntrustedTenant(Exception):
    """A job's payload names a tenant its outbox row did not record."""

    def __init__(self, job_id: str, payload_tenant_id: Any, recorded_tenant_id: Any):
        self.payload_tenant_id = payload_tenant_id
        self.recorded_tenant_id = recorded_tenant_id
        super().__init__(f"job {job_id} names tenant {payload_tenant_id!r}; "
                         f"its outbox row recorded {recorded_tenant_id!r}")


class OutboxJob(Job):
    """An RQ job that checks its payload's tenant against its outbox row before it runs."""

    def _execute(self) -> Any:
        check_payload_tenant(self)
        return super()._execute()


def check_payload_tenant(job: Job) -> None:
    """Raise UntrustedTenant if the job takes a tenant_id its outbox row did not record."""
    if "tenant_id" not in job.kwargs:
        return
    payload_tenant_id = job.kwargs["tenant_id"]
    recorded_tenant_id = _recorded_tenant_id(job.meta.get("outbox_shard"), job.meta.get("outbox_id"))
    if recorded_tenant_id is None or recorded_tenant_id != payload_tenant_id:
        # The row will not change: every retry would be refused too.
        job.retries_left = 0
        log.error("job refused: its payload names a tenant its outbox row did not record",
                  extra={"job": job.func_name, "outbox_id": job.meta.get("outbox_id"),
                         "payload_tenant_id": payload_tenant_id, "recorded_tenant_id": recorded_tenant_id})
        raise UntrustedTenant(job.id, payload_tenant_id, recorded_tenant_id)


def _recorded_tenant_id(shard_key: str | None, outbox_id: int | None) -> int | None:
    if outbox_id is None or shard_key not in shards.keys:
        return None
    with UnitOfWork(shard_key=shard_key) as uow:
        return uow.session.scalar(select(OutboxMessage.tenant_id).where(OutboxMessage.id == outbox_id))
