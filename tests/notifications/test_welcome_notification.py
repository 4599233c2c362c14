"""The welcome job: one notification per account, however often it runs."""
from __future__ import annotations

from rq import Queue, SimpleWorker
from sqlalchemy import text

from marketplace.core.extensions import redis_client
from marketplace.notifications.jobs import send_welcome
from tenants.shards import shards


def notifications() -> list[tuple]:
    with shards.engine().connect() as conn:
        return conn.execute(text("SELECT user_id, kind, dedupe_key, subject FROM platform.notifications")).all()


def test_the_welcome_job_records_a_welcome_notification(app, sign_up):
    user = sign_up("ada@example.com")

    with app.app_context():
        send_welcome(user.user_id)

    assert notifications() == [(user.user_id, "welcome", f"welcome:{user.user_id}", "Welcome to the marketplace")]


def test_running_the_welcome_job_twice_leaves_one_notification(app, sign_up):
    user = sign_up("ada@example.com")

    with app.app_context():
        send_welcome(user.user_id)
        send_welcome(user.user_id)

    assert len(notifications()) == 1


def test_the_welcome_job_for_a_missing_account_does_nothing(app):
    with app.app_context():
        send_welcome(987654)

    assert notifications() == []


def test_signing_up_delivers_the_welcome_notification_through_the_job_queue(app, client, sign_up):
    user = sign_up("ada@example.com")
    queue = Queue("default", connection=redis_client.client)

    with app.app_context():
        SimpleWorker([queue], connection=redis_client.client).work(burst=True)

    response = client.get("/api/v1/me/notifications", headers=user.headers)
    assert [notification["kind"] for notification in response.get_json()] == ["welcome"]
