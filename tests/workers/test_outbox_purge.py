"""The purge of outbox rows dispatched more than OUTBOX_RETENTION_DAYS ago, in batches; pending rows stay."""
from __future__ import annotations

from workers.relay import purge_dispatched_messages

RETENTION_DAYS = 7


def add_messages(sql, label: str, count: int, dispatched_days_ago: int | None) -> None:
    sql("INSERT INTO shard.outbox_messages (job, queue, payload, created_at, dispatched_at) "
        "SELECT 'tests.workers.jobs.record_run', 'default', jsonb_build_object('label', CAST(:label AS text)), "
        "now() - interval '60 days', now() - make_interval(secs => CAST(:days AS int) * 86400) FROM generate_series(1, :count)",
        label=label, count=count, days=dispatched_days_ago)


def labels(sql) -> dict[str, int]:
    return dict(sql("SELECT payload->>'label', count(*) FROM shard.outbox_messages GROUP BY 1"))


def test_rows_dispatched_longer_ago_than_the_retention_go_in_batches_and_the_others_stay(app, sql):
    add_messages(sql, "dispatched 8 days ago", 5, dispatched_days_ago=8)
    add_messages(sql, "dispatched a day ago", 2, dispatched_days_ago=1)
    add_messages(sql, "pending", 3, dispatched_days_ago=None)

    with app.app_context():
        deleted_count = purge_dispatched_messages(RETENTION_DAYS, batch_size=2)

    assert deleted_count == 5
    assert labels(sql) == {"dispatched a day ago": 2, "pending": 3}


def test_running_the_purge_again_deletes_nothing_more(app, sql):
    add_messages(sql, "dispatched 8 days ago", 1, dispatched_days_ago=8)

    with app.app_context():
        counts = (purge_dispatched_messages(RETENTION_DAYS), purge_dispatched_messages(RETENTION_DAYS))

    assert counts == (1, 0)
