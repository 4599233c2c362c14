"""Operators move a seller's data to another database server (tenants/move.py does the moving).

Asking records the move, its audit entry and the outbox message whose job
runs it, in one control-database transaction; the job copies while the
seller works, freezes its writes for a moment, flips and verifies.
"""
from __future__ import annotations

from marketplace.audit.services import record
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from tenants.move import (
    RUN_TENANT_MOVE_JOB, MoveAlreadyRunning, MoveView, SameShard, get_move, latest_move, request_move,
)
from tenants.registry import get_tenant_by_slug
from tenants.shards import UnknownShard
from tenants.uow import UnitOfWork


class MoveRunning(Conflict):
    code = "move_running"

    def __init__(self) -> None:
        super().__init__("A move of this seller is not finished yet; follow it with GET on this path.")


class NoMove(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has never been moved.")


def request_tenant_move(slug: str, target_shard: str, operator_user_id: int) -> MoveView:
    """Record a move of the seller to `target_shard` and queue the job that runs it; 422 for a shard it cannot go to."""
    tenant = get_tenant_by_slug(slug)
    with UnitOfWork() as uow:
        try:
            move = request_move(uow.session, tenant, target_shard, requested_by_user_id=operator_user_id)
        except UnknownShard as error:
            raise ValidationFailed("There is no such database server.",
                                   errors={"to": ["Not a configured shard."]}) from error
        except SameShard as error:
            raise ValidationFailed("The seller already lives on this database server.",
                                   errors={"to": ["The seller's current shard."]}) from error
        except MoveAlreadyRunning as error:
            raise MoveRunning() from error
        record(uow, actor_user_id=operator_user_id, action="tenant.move", target_type="tenant", target_id=tenant.id,
               tenant_id=tenant.id, before={"shard": move.source_shard},
               after={"shard": move.target_shard, "move_id": move.id})
        uow.add_message(RUN_TENANT_MOVE_JOB, {"move_id": move.id})
        uow.session.flush()
        move_id = move.id
        uow.commit()
    return get_move(move_id)


def get_tenant_move(slug: str) -> MoveView:
    """The seller's latest move and how far it got; 404 if it never moved."""
    tenant = get_tenant_by_slug(slug)
    view = latest_move(tenant.id)
    if view is None:
        raise NoMove()
    return view

