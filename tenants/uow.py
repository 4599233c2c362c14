"""The unit of work: one transaction, optionally bound to one tenant.

    with UnitOfWork(tenant) as uow:
        uow.session.add(...)
        uow.add_message("marketplace.catalog.jobs.reindex", {"product_id": 1}, queue="search")
        uow.commit()

Leaving the block without `commit()` rolls everything back, outbox rows
included. After a commit, the rows written are handed to the relay.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from tenants.binding import bound_tenant, open_session
from tenants.models import TenantRef
from tenants.outbox import OutboxMessage, relay_committed
from tenants.shards import DEFAULT_SHARD

log = logging.getLogger(__name__)


class UnitOfWork:
    """A transaction on one database: the tenant's shard if bound to a tenant, else `shard_key` (default: the
    control database). Its outbox messages go to that database's outbox.

    `on_behalf_of`: a control-database transaction about one tenant (its
    registry row, members, invites), bound to no tenant schema; its messages
    carry that tenant, so that their jobs may act for it (workers/outbox_jobs.py).
    """

    def __init__(self, tenant: TenantRef | None = None, shard_key: str = DEFAULT_SHARD,
                 on_behalf_of: TenantRef | None = None):
        if tenant is not None and on_behalf_of is not None:
            raise ValueError("a unit of work is bound to a tenant or acts on behalf of one, not both")
        self.tenant = tenant
        self.on_behalf_of = on_behalf_of
        self.shard_key = tenant.shard_key if tenant else shard_key
        self.session: Session
        self._messages: list[OutboxMessage] = []
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = open_session(self.tenant, self.shard_key)
        self.session.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def add_message(self, job: str, payload: dict[str, Any], queue: str = "default") -> OutboxMessage:
        """Record follow-up work; it is enqueued only if this transaction commits."""
        tenant = bound_tenant(self.session) or self.on_behalf_of
        message = OutboxMessage(job=job, queue=queue, payload=payload, tenant_id=tenant.id if tenant else None)
        self.session.add(message)
        self._messages.append(message)
        return message

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this transaction has committed (e.g. drop cache entries it made stale).

        For best-effort, in-process effects only: work that must happen goes
        through `add_message`, which survives a crash after the commit.
        """
        self._after_commit.append(callback)

    def apply_after_commit(self, apply: Callable[[], object], what: str, **log_extra: Any) -> None:
        """Do now, once this transaction has committed, what an outbox message of it also does.

        The common case sees the effect at once (a listing row, an audit
        entry); a failure (another database down) is logged, never raised:
        the change is committed, and the message is what makes the effect certain.
        """
        def apply_or_log() -> None:
            try:
                apply()
            except Exception:
                log.exception("%s not applied after the commit; its outbox message will apply it", what,
                              extra=log_extra)

        self.after_commit(apply_or_log)

    def commit(self) -> None:
        self.session.commit()
        committed_ids = [message.id for message in self._messages]
        callbacks = list(self._after_commit)
        self._messages.clear()
        self._after_commit.clear()
        relay_committed(self.shard_key, committed_ids)
        for callback in callbacks:
            callback()


def delete_in_batches(table: type, stale: ColumnElement[bool], batch_size: int, shard_key: str = DEFAULT_SHARD) -> int:
    """Delete the rows of `table` matching `stale` on `shard_key`'s database, `batch_size` per transaction;
    return how many.

    Purges use it so that a large backlog never holds one long transaction.
    It stops when a batch comes back short, so running it again deletes
    nothing more; rows another purge holds are skipped, not waited for.
    """
    stale_ids = select(table.id).where(stale).limit(batch_size).with_for_update(skip_locked=True)
    deleted_count = 0
    while True:
        with UnitOfWork(shard_key=shard_key) as uow:
            batch_count = uow.session.execute(
                delete(table).where(table.id.in_(stale_ids)).execution_options(synchronize_session=False)
            ).rowcount
            uow.commit()
        deleted_count += batch_count
        if batch_count < batch_size:
            return deleted_count
