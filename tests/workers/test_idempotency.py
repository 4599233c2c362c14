"""At-least-once delivery: a job written to the recommended pattern has its effect once."""
from __future__ import annotations

from sqlalchemy import update

from tenants.outbox import OutboxMessage
from tenants.uow import UnitOfWork
from tests.workers.support import count_deliveries, count_runs, run_jobs, write_message
from workers.relay import sweep_outbox


def test_message_delivered_twice_has_its_effect_once(app):
    message_id = write_message("tests.workers.jobs.deliver_once", {"delivery_key": "order-7-seller-3"})
    # The relay enqueued the job but died before marking the row: the sweeper enqueues it again.
    with UnitOfWork() as uow:
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(dispatched_at=None))
        uow.commit()
    sweep_outbox()

    run_jobs(app)

    assert count_runs("order-7-seller-3") == 2
    assert count_deliveries("order-7-seller-3") == 1
