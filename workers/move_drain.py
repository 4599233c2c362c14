"""The outbox drain of tenant moves: a move relays the tenant's pending messages before its flip."""
from __future__ import annotations

from tenants.move import set_outbox_drain
from workers.relay import sweep_shard_outbox


def drain_shard_outbox(shard_key: str) -> None:
    """Relay the undispatched outbox rows of the shard a tenant is leaving.

    Every pending row of that shard goes, the tenant's among them: the
    sweeper's own pass, run now rather than at its next tick, so the freeze
    does not wait for it.
    """
    sweep_shard_outbox(shard_key)


def install_move_drain() -> None:
    """Each process's entry point calls it after create_app (wsgi.py, the worker), as it installs the relay."""
    set_outbox_drain(drain_shard_outbox)
