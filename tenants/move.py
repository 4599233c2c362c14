"""Moving a tenant's schema to another shard while the seller keeps working.

    move = request_move(session, tenant, "second")   # a row in platform.tenant_moves
    run_move(move.id, MoveSettings())                # the steps below; run it again to resume

The steps (`MoveStep`), each recorded in the control database once done, so
that running the move again after a crash resumes at the next one:

1. capture: the source logs every change of the tenant's rows (move_sql.py);
2. copy: the target schema is built at the tenant tree's head, as provisioning
   builds one, and filled from one snapshot of the source;
3. catch up: the changes logged meanwhile are copied, round after round,
   until few are left; the seller has kept working all along;
4. freeze: the source refuses the seller's writes (503 `tenant_moving`)
   once the writes in flight are done; buyers keep reading;
5. the last changes and the sequences are copied;
6. drain: the tenant's undispatched outbox messages on the source shard are
   relayed, so none is left behind where the tenant no longer lives;
7. verify: row counts and checksums of every table are equal on both sides,
   compared while both are still (after the flip, the seller writes on the
   target and a rollback would lose those writes); a mismatch rolls back:
   the freeze is lifted, the copy dropped, the tenant never left its source;
8. flip: the source is retired for good (it refuses every write), then the
   registry names the target, in the same control transaction as the step;
9. after a grace period (requests that read the old shard just before the
   flip finish), the source schema is dropped.

The freeze is an advisory lock of the mover's session: a crashed mover lifts
it, and the move resumes at the freeze (steps 4 to 7 are taken again).
A move holds an advisory lock of the control database while it runs, so two
processes never run one move at once.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Iterator, Mapping

import psycopg
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenants import move_sql
from tenants.locks import lock_row, release_session_lock, try_session_lock
from tenants.db import utcnow
from tenants.models import Tenant, TenantRef
from tenants.move_models import MOVE_STEPS, STEPS_HELD_BY_THE_FREEZE, MoveStatus, MoveStep, TenantMove
from tenants.move_sql import TableShape
from tenants.outbox import OutboxMessage
from tenants.provisioning import _create_schema, _create_tables, _record_version
from tenants.shards import UnknownShard, shards
from tenants.tenant_schema import registered_tenant_schema
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

RUN_TENANT_MOVE_JOB = "tenants.move_jobs.run_tenant_move"
# Key of the advisory lock a running move holds on the control database: 'mvrn' above the move id.
RUNNER_LOCK_BASE = 0x6D76726E << 32
# Catching up stops when a round copies fewer changes than this: the rest is copied under the freeze.
CATCH_UP_ENOUGH = 200
CATCH_UP_MAX_ROUNDS = 20
DRAIN_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class MoveSettings:
    # How long the old schema outlives the flip, for requests that resolved the old shard just before.
    grace_seconds: float = 30.0
    # The longest the freeze waits for the writes in flight; the seller's writes are refused meanwhile.
    freeze_lock_timeout_ms: int = 2000
    # The longest the freeze waits for the tenant's outbox messages to be relayed.
    drain_timeout_seconds: float = 30.0
    # The longest creating a trigger waits for a table's writers.
    capture_lock_timeout_ms: int = 5000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "MoveSettings":
        return cls(grace_seconds=config["TENANT_MOVE_GRACE_SECONDS"],
                   freeze_lock_timeout_ms=config["TENANT_MOVE_FREEZE_TIMEOUT_MS"],
                   drain_timeout_seconds=config["TENANT_MOVE_DRAIN_TIMEOUT_SECONDS"],
                   capture_lock_timeout_ms=config["TENANT_LOCK_TIMEOUT_MS"])


@dataclass(frozen=True)
class MoveView:
    """A move as operators and the CLI see it, detached from any session."""

    id: int
    tenant_id: int
    source_shard: str
    target_shard: str
    status: MoveStatus
    step: MoveStep
    changes_applied: int
    attempts: int
    frozen_at: datetime | None
    flipped_at: datetime | None
    freeze_seconds: float | None
    finished_at: datetime | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, move: TenantMove) -> "MoveView":
        return cls(id=move.id, tenant_id=move.tenant_id, source_shard=move.source_shard,
                   target_shard=move.target_shard, status=MoveStatus(move.status), step=MoveStep(move.step),
                   changes_applied=move.changes_applied, attempts=move.attempts, frozen_at=move.frozen_at,
                   flipped_at=move.flipped_at, freeze_seconds=move.freeze_seconds, finished_at=move.finished_at,
                   error=move.error, created_at=move.created_at, updated_at=move.updated_at)


class MoveRefused(Exception):
    """A move that cannot be started."""


class SameShard(MoveRefused):
    def __init__(self, shard_key: str):
        self.shard_key = shard_key
        super().__init__(f"the tenant already lives on shard {shard_key!r}")


class MoveAlreadyRunning(MoveRefused):
    def __init__(self, target_shard: str, move_id: int | None = None):
        self.move_id = move_id
        self.target_shard = target_shard
        named = f"move {move_id}" if move_id is not None else "a move"
        super().__init__(f"{named} of this tenant (to shard {target_shard!r}) is not finished")


class MoveBusy(RuntimeError):
    """Another process is running this move right now."""

    def __init__(self, move_id: int):
        self.move_id = move_id
        super().__init__(f"move {move_id} is being run by another process")


class VerificationFailed(RuntimeError):
    def __init__(self, mismatches: dict[str, tuple]):
        self.mismatches = mismatches
        details = "; ".join(f"{table}: source {source}, target {target}"
                            for table, (source, target) in sorted(mismatches.items()))
        super().__init__(f"the copy differs from the source: {details}")


class DrainTimeout(RuntimeError):
    def __init__(self, pending_count: int, seconds: float):
        super().__init__(f"{pending_count} outbox message(s) of the tenant still undispatched after {seconds:g} s")


# Set by the workers package at start-up: relays the undispatched outbox rows of a shard.
# A hook, like the outbox's commit relay, so that this layer never imports RQ.
_outbox_drain: Callable[[str], None] | None = None


def set_outbox_drain(drain: Callable[[str], None] | None) -> None:
    global _outbox_drain
    _outbox_drain = drain


# Starting a move (control database)

def request_move(session: Session, tenant: TenantRef, target_shard: str,
                 requested_by_user_id: int | None = None) -> TenantMove:
    """Add a move of `tenant` to `target_shard` to the caller's control transaction; the caller commits.

    Refuses an unknown shard (UnknownShard), the tenant's own (SameShard) and
    a tenant with a move not finished (MoveAlreadyRunning; the partial unique
    index decides between two requests at once).
    """
    if target_shard not in shards.keys:
        raise UnknownShard(target_shard)
    registry_row = lock_row(session, Tenant, tenant.id)
    if registry_row.shard_key == target_shard:
        raise SameShard(target_shard)
    running = running_move(session, tenant.id)
    if running is not None:
        raise MoveAlreadyRunning(running.target_shard, running.id)
    move = TenantMove(tenant_id=tenant.id, source_shard=registry_row.shard_key, target_shard=target_shard,
                      requested_by_user_id=requested_by_user_id)
    session.add(move)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise MoveAlreadyRunning(target_shard) from error
    return move


def running_move(session: Session, tenant_id: int) -> TenantMove | None:
    return session.scalar(select(TenantMove).where(TenantMove.tenant_id == tenant_id,
                                                   TenantMove.status == MoveStatus.RUNNING))


def start_or_resume_move(tenant: TenantRef, target_shard: str) -> int:
    """The id of the tenant's unfinished move to `target_shard`, or of a new one; MoveRefused otherwise."""
    with UnitOfWork() as uow:
        running = running_move(uow.session, tenant.id)
        if running is not None:
            if running.target_shard != target_shard:
                raise MoveAlreadyRunning(running.target_shard, running.id)
            return running.id
        move = request_move(uow.session, tenant, target_shard)
        uow.commit()
        return move.id


def latest_move(tenant_id: int) -> MoveView | None:
    """The tenant's most recent move, whatever its status; None if it never moved."""
    with UnitOfWork() as uow:
        move = uow.session.scalar(select(TenantMove).where(TenantMove.tenant_id == tenant_id)
                                  .order_by(TenantMove.id.desc()).limit(1))
        return MoveView.of(move) if move else None


def get_move(move_id: int) -> MoveView:
    with UnitOfWork() as uow:
        return MoveView.of(uow.session.get_one(TenantMove, move_id))


# Running a move

@dataclass
class _Move:
    """What the steps of one run share: the move, the tenant, the tables and a connection per side."""

    view: MoveView
    tenant: TenantRef
    tables: list[TableShape]
    source: psycopg.Connection
    target: psycopg.Connection
    settings: MoveSettings


def run_move(move_id: int, settings: MoveSettings,
             on_step: Callable[[MoveStep, MoveView], None] | None = None) -> MoveView:
    """Run the move's remaining steps; return its final state (done or rolled back).

    A step that raises leaves the move running, its error recorded and its
    freeze lifted; running it again resumes. MoveBusy if another process is
    running it. `on_step` is called after each step is recorded.
    """
    with _runner_lock(move_id):
        view = _begin_attempt(move_id)
        if view.status is not MoveStatus.RUNNING:
            return view
        try:
            with _connections(view) as (source, target):
                move = _Move(view, _tenant_ref(view.tenant_id), tenant_tables(), source, target, settings)
                try:
                    _run_remaining_steps(move, on_step)
                except VerificationFailed as failure:
                    return _roll_back(move, failure)
        except Exception as error:
            _record_failure(move_id, error)
            raise
    return _finish(move_id)


def _run_remaining_steps(move: _Move, on_step: Callable[[MoveStep, MoveView], None] | None) -> None:
    for step in MOVE_STEPS[MOVE_STEPS.index(move.view.step) + 1:]:
        STEP_ACTIONS[step](move)
        move.view = _record_step(move.view.id, step, **_step_fields(move, step))
        log.info("tenant move %s: %s", move.view.id, step.value,
                 extra={"move_id": move.view.id, "tenant_id": move.tenant.id, "step": step.value})
        if on_step is not None:
            on_step(step, move.view)


def tenant_tables() -> list[TableShape]:
    """Every tenant table, parents before children (the copy's order; deletes go the other way)."""
    return [TableShape(table.name, tuple(column.name for column in table.columns),
                       tuple(column.name for column in table.primary_key.columns))
            for table in registered_tenant_schema().metadata.sorted_tables]


@contextmanager
def _runner_lock(move_id: int) -> Iterator[None]:
    # A session lock on a connection of its own: a crashed runner's lock goes with its connection.
    with shards.engine().connect() as connection:
        key = RUNNER_LOCK_BASE + move_id
        if not try_session_lock(connection, key):
            raise MoveBusy(move_id)
        try:
            yield
        finally:
            release_session_lock(connection, key)


def _begin_attempt(move_id: int) -> MoveView:
    """Count the attempt; a move cut short while frozen resumes at the freeze, which its crash lifted."""
    with UnitOfWork() as uow:
        move = lock_row(uow.session, TenantMove, move_id)
        if move.status == MoveStatus.RUNNING:
            move.attempts += 1
            if MoveStep(move.step) in STEPS_HELD_BY_THE_FREEZE:
                move.step = MoveStep.CAUGHT_UP
        uow.session.flush()
        view = MoveView.of(move)
        uow.commit()
    return view


@contextmanager
def _connections(view: MoveView) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    # Closing the source connection also releases the freeze, whatever happened.
    with move_sql.connect(view.source_shard) as source, move_sql.connect(view.target_shard) as target:
        yield source, target


def _tenant_ref(tenant_id: int) -> TenantRef:
    with UnitOfWork() as uow:
        return uow.session.get_one(Tenant, tenant_id).ref()


# The steps

def _install_capture(move: _Move) -> None:
    _check_source_at_head(move)
    move_sql.install_capture(move.source, move.tenant.schema_name, move.tenant.id, move.tables,
                             move.settings.capture_lock_timeout_ms)


def _copy_snapshot(move: _Move) -> None:
    # Whatever an earlier attempt left on the target is rebuilt from scratch.
    move_sql.drop_schema(move.target, move.tenant.schema_name)
    _build_empty_schema(move.view.target_shard, move.tenant.schema_name)
    move_sql.copy_snapshot(move.source, move.target, move.tenant.schema_name, move.tables)


def _catch_up(move: _Move) -> None:
    for _ in range(CATCH_UP_MAX_ROUNDS):
        copied_count = _apply_changes(move)
        if copied_count < CATCH_UP_ENOUGH:
            return


def _freeze(move: _Move) -> None:
    move_sql.freeze(move.source, move.tenant.schema_name, move.tenant.id, move.settings.freeze_lock_timeout_ms)


def _apply_final_delta(move: _Move) -> None:
    while _apply_changes(move):
        pass
    move_sql.copy_sequences(move.source, move.target, move.tenant.schema_name)


def _drain_outbox(move: _Move) -> None:
    started = time.monotonic()
    while pending := _pending_message_count(move.view.source_shard, move.tenant.id):
        if time.monotonic() - started > move.settings.drain_timeout_seconds:
            raise DrainTimeout(pending, move.settings.drain_timeout_seconds)
        if _outbox_drain is not None:
            _outbox_drain(move.view.source_shard)
        time.sleep(DRAIN_POLL_SECONDS)


def _verify(move: _Move) -> None:
    # Both servers checksum at once: the verification is most of the freeze.
    with ThreadPoolExecutor(max_workers=2) as executor:
        source_prints, target_prints = (
            executor.submit(move_sql.fingerprints, connection, move.tenant.schema_name, move.tables)
            for connection in (move.source, move.target))
        source, target = source_prints.result(), target_prints.result()
    mismatches = {table: (source[table], target[table]) for table in source if source[table] != target[table]}
    if mismatches:
        raise VerificationFailed(mismatches)


def _flip(move: _Move) -> None:
    """Retire the source, then point the registry at the target in the transaction that records the step."""
    move_sql.retire_source(move.source, move.tenant.schema_name, move.tenant.id)
    with UnitOfWork() as uow:
        flipped_count = uow.session.execute(
            update(Tenant).where(Tenant.id == move.tenant.id, Tenant.shard_key == move.view.source_shard)
            .values(shard_key=move.view.target_shard)).rowcount
        if flipped_count != 1:
            # Only this move changes the tenant's shard; dropping the source next would be a disaster.
            raise RuntimeError(f"the registry no longer names {move.view.source_shard!r} for this tenant")
        uow.session.execute(update(TenantMove).where(TenantMove.id == move.view.id)
                            .values(step=MoveStep.FLIPPED, flipped_at=utcnow(), updated_at=func.now()))
        uow.commit()


def _drop_source(move: _Move) -> None:
    flipped_at = get_move(move.view.id).flipped_at
    remaining_seconds = move.settings.grace_seconds - (utcnow() - flipped_at).total_seconds()
    if remaining_seconds > 0:
        time.sleep(remaining_seconds)
    move_sql.drop_schema(move.source, move.tenant.schema_name)
    move_sql.remove_capture(move.source, move.tenant.schema_name, move.tenant.id)


STEP_ACTIONS: dict[MoveStep, Callable[[_Move], None]] = {
    MoveStep.CAPTURE_INSTALLED: _install_capture,
    MoveStep.COPIED: _copy_snapshot,
    MoveStep.CAUGHT_UP: _catch_up,
    MoveStep.FROZEN: _freeze,
    MoveStep.DELTA_APPLIED: _apply_final_delta,
    MoveStep.DRAINED: _drain_outbox,
    MoveStep.VERIFIED: _verify,
    MoveStep.FLIPPED: _flip,
    MoveStep.SOURCE_DROPPED: _drop_source,
}


def _step_fields(move: _Move, step: MoveStep) -> dict:
    fields = {"changes_applied": move.view.changes_applied}
    if step is MoveStep.FROZEN:
        fields["frozen_at"] = utcnow()  # the freeze window runs from here to the flip
    return fields


def _apply_changes(move: _Move) -> int:
    copied_count = move_sql.apply_logged_changes(move.source, move.target, move.tenant.schema_name, move.tables)
    move.view = replace(move.view, changes_applied=move.view.changes_applied + copied_count)
    return copied_count


def _check_source_at_head(move: _Move) -> None:
    # The copy is built at head: a source behind it (a fleet migration pending) would not fit.
    head = set(registered_tenant_schema().script_directory.get_heads())
    versions = {row[0] for row in move.source.execute(
        f'SELECT version_num FROM "{move.tenant.schema_name}".alembic_version').fetchall()}
    if versions != head:
        raise RuntimeError(f"the tenant schema is at {sorted(versions)}, not at head {sorted(head)}: "
                           "migrate it first (flask tenants migrate)")


def _build_empty_schema(shard_key: str, schema_name: str) -> None:
    # As provisioning builds a tenant: every table at head, and the head revision stamped.
    schema = registered_tenant_schema()
    with shards.engine(shard_key).begin() as connection:
        _create_schema(connection, schema_name)
        _create_tables(connection, schema_name, schema.metadata)
        _record_version(connection, schema_name, schema)


def _pending_message_count(shard_key: str, tenant_id: int) -> int:
    with Session(shards.engine(shard_key)) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.dispatched_at.is_(None)))


# Recording

def _record_step(move_id: int, step: MoveStep, **fields) -> MoveView:
    with UnitOfWork() as uow:
        move = uow.session.get_one(TenantMove, move_id)
        move.step = step
        for name, value in fields.items():
            setattr(move, name, value)
        uow.session.flush()
        view = MoveView.of(move)
        uow.commit()
    return view


def _record_failure(move_id: int, error: Exception) -> None:
    # The freeze went with the source connection, closed by now: the seller can write again.
    log.exception("tenant move %s failed; run it again to resume", move_id, extra={"move_id": move_id})
    with UnitOfWork() as uow:
        move = uow.session.get_one(TenantMove, move_id)
        move.error = f"{type(error).__name__}: {error}"
        if MoveStep(move.step) in STEPS_HELD_BY_THE_FREEZE:
            move.step = MoveStep.CAUGHT_UP
        uow.commit()


def _roll_back(move: _Move, failure: VerificationFailed) -> MoveView:
    """The tenant stays on its source: lift the freeze, drop the copy, record why."""
    log.error("tenant move %s rolled back: %s", move.view.id, failure,
              extra={"move_id": move.view.id, "tenant_id": move.tenant.id})
    move_sql.remove_capture(move.source, move.tenant.schema_name, move.tenant.id)
    move_sql.drop_schema(move.target, move.tenant.schema_name)
    return _record_step(move.view.id, move.view.step, status=MoveStatus.ROLLED_BACK, error=str(failure),
                        finished_at=utcnow())


def _finish(move_id: int) -> MoveView:
    with UnitOfWork() as uow:
        move = uow.session.get_one(TenantMove, move_id)
        if move.step == MoveStep.SOURCE_DROPPED and move.status == MoveStatus.RUNNING:
            move.status = MoveStatus.DONE
            move.finished_at = utcnow()
            move.error = None
        uow.session.flush()
        view = MoveView.of(move)
        uow.commit()
    return view
