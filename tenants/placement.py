"""Where a new tenant's schema goes: the shard with the fewest tenants, unless the operator names one."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenants.models import Tenant
from tenants.shards import UnknownShard, shards


def choose_shard(session: Session, wanted: str | None = None) -> str:
    """`wanted` if it is a configured shard (UnknownShard if not), else the least-populated one.

    Closed tenants still hold their schema, so every registry row counts.
    Ties go to the shard listed first (`default`, then by name), which keeps
    a single-server install on `default`.
    """
    if wanted is not None:
        if wanted not in shards.keys:
            raise UnknownShard(wanted)
        return wanted
    tenant_counts = dict(session.execute(select(Tenant.shard_key, func.count()).group_by(Tenant.shard_key)).all())
    return min(shards.keys, key=lambda key: (tenant_counts.get(key, 0), shards.keys.index(key)))
