"""RQ queues by concern and the retry policy of every relayed job.

One queue per concern (DESIGN §6), listed highest priority first: a worker
given several queues always drains the earlier ones before the later ones.
"""
from __future__ import annotations

from rq import Queue, Retry

from marketplace.core.extensions import redis_client

# `read_models`: the marketplace-wide copies of what sellers change (listing rows, seller names); before search,
# so that a listing never waits behind a re-index. `webhooks`: POSTs to sellers' servers, which may each take
# the whole timeout, so they queue apart from the platform's own work and after it.
QUEUE_NAMES: tuple[str, ...] = ("orders", "settlement", "read_models", "search", "default", "webhooks")

# Backoff of 10 s, 1 min, 5 min, 15 min and 1 h: long enough to ride out a
# restart of a dependency. After the last retry the job rests in RQ's failed
# job registry, where an operator can inspect and requeue it.
RETRY_POLICY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


class UnknownQueue(ValueError):
    """A job was addressed to a queue no worker listens to."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown queue {name!r}; queues are {', '.join(QUEUE_NAMES)}")


def get_queue(name: str) -> Queue:
    """The RQ queue `name` on the app's Redis."""
    if name not in QUEUE_NAMES:
        raise UnknownQueue(name)
    return Queue(name, connection=redis_client.client)
