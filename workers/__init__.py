"""Background work: RQ queues, the outbox relay and sweeper, the worker, the scheduler.

Delivery is at least once, so every job (an `<area>/jobs.py` entry point) is
written to be run twice:

- it takes ids and plain values, never objects, and reloads state in a
  `UnitOfWork`;
- it does nothing if its work is already done (checked under a row lock);
- its effect carries a unique key: a row under a unique constraint, inserted
  with ON CONFLICT DO NOTHING in the transaction that does the work, or an
  idempotency key given to the outside service;
- it commits once, and follow-up work goes through the outbox.

`tests/workers/jobs.py::deliver_once` is the smallest example.
"""
