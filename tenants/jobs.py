"""RQ entry points of the tenancy layer. Safe to run again."""
from __future__ import annotations

import logging

from tenants.provisioning import complete_provisioning

log = logging.getLogger(__name__)


def complete_provisioning_of(registered_tenant_id: int) -> None:
    """Build a registered tenant's schema on its shard if the request that registered it could not.

    The payload key is not `tenant_id`: the message comes from the control
    database's unit of work, bound to no tenant (workers/outbox_jobs.py).
    """
    built = complete_provisioning(registered_tenant_id)
    log.info("tenant schema %s", "built" if built else "already built",
             extra={"registered_tenant_id": registered_tenant_id})
