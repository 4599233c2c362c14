"""Background work: RQ queues, job entry points, the outbox relay and sweeper, the scheduler."""
