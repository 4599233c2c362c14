"""The transactional outbox: follow-up work recorded in the transaction that made it necessary.

A service adds a message through its unit of work; the row commits or rolls
back with the business change. Every shard database has its own outbox
(schema `shard`), so a tenant's transaction writes its own database only;
the control database's units of work use the outbox of the shard `default`. `workers.relay` moves committed rows to RQ
(with the row id as job id) and marks them dispatched; the sweeper retries
rows the fast path missed, for example while Redis was down.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import ShardBase


class OutboxMessage(ShardBase):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Dotted path of the job function, e.g. "marketplace.notifications.jobs.send_welcome".
    job: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The tenant the work belongs to, carried into the job and its logs.
    tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_messages_pending", "id", postgresql_where=text("dispatched_at IS NULL")),
        # The purge finds dispatched rows past their retention by this, without reading pending ones.
        Index("ix_outbox_messages_dispatched_at", "dispatched_at", postgresql_where=text("dispatched_at IS NOT NULL")),
    )

    def job_id(self, shard_key: str) -> str:
        """The RQ job id: ids are per shard, so the shard is part of it."""
        return f"outbox-{shard_key}-{self.id}"


# Set by the workers package at start-up: called with a shard and the ids of
# messages just committed in its outbox. A hook, so that this layer never imports RQ.
_commit_relay: Callable[[str, Iterable[int]], None] | None = None


def set_commit_relay(relay: Callable[[str, Iterable[int]], None] | None) -> None:
    global _commit_relay
    _commit_relay = relay


def relay_committed(shard_key: str, message_ids: list[int]) -> None:
    if message_ids and _commit_relay is not None:
        _commit_relay(shard_key, message_ids)
