"""The state of tenant moves between shards (control database), one row per move.

A move runs as a list of steps (`MoveStep`, in order); the row records the
last step completed, so a move cut short by a crash resumes at the next one.
At most one move of a tenant runs at a time (the partial unique index).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps, checked_enum


class MoveStep(str, enum.Enum):
    """The steps of a move, in the order they complete."""

    REQUESTED = "requested"
    CAPTURE_INSTALLED = "capture_installed"  # the source logs every change of the tenant's rows
    COPIED = "copied"  # the target schema holds a snapshot of the source
    CAUGHT_UP = "caught_up"  # the changes logged since the snapshot are mostly copied too
    FROZEN = "frozen"  # the source refuses the tenant's writes; writers in flight are done
    DELTA_APPLIED = "delta_applied"  # the last changes and the sequences are on the target
    DRAINED = "drained"  # no message of the tenant is left undispatched in the source's outbox
    VERIFIED = "verified"  # row counts and checksums of every table are equal on both sides
    FLIPPED = "flipped"  # the registry names the target: the seller works there
    SOURCE_DROPPED = "source_dropped"  # after the grace period, the source schema is gone


MOVE_STEPS = list(MoveStep)
# Steps that only hold while the mover keeps the source frozen (an advisory lock of its
# session): after a crash the source took writes again, so the move resumes at the freeze.
STEPS_HELD_BY_THE_FREEZE = (MoveStep.FROZEN, MoveStep.DELTA_APPLIED, MoveStep.DRAINED, MoveStep.VERIFIED)


class MoveStatus(str, enum.Enum):
    RUNNING = "running"  # under way, or interrupted and waiting to be resumed
    DONE = "done"
    ROLLED_BACK = "rolled_back"  # verification failed: the tenant stays on its source, the copy is gone


class TenantMove(Timestamps, SharedBase):
    """One move of a tenant's schema from its shard to another."""

    __tablename__ = "tenant_moves"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source_shard: Mapped[str] = mapped_column(String(40))
    target_shard: Mapped[str] = mapped_column(String(40))
    status: Mapped[MoveStatus] = mapped_column(
        checked_enum(MoveStatus, "tenant_move_status"), default=MoveStatus.RUNNING,
        server_default=MoveStatus.RUNNING.value)
    step: Mapped[MoveStep] = mapped_column(
        checked_enum(MoveStep, "tenant_move_step"), default=MoveStep.REQUESTED,
        server_default=MoveStep.REQUESTED.value)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # How many logged changes the delta rounds have copied so far.
    changes_applied: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last failure: a step that raised (the move waits to be resumed) or a failed verification.
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_tenant_moves_running_tenant_id", "tenant_id", unique=True,
              postgresql_where=text("status = 'running'")),
    )

    @property
    def freeze_seconds(self) -> float | None:
        """How long the seller's writes were refused: from the freeze to the flip."""
        if self.frozen_at is None or self.flipped_at is None:
            return None
        return (self.flipped_at - self.frozen_at).total_seconds()
