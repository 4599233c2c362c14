"""GET /me/notifications: the caller's own notifications, newest first, in pages."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from marketplace.notifications.jobs import send_welcome
from tenants.shards import shards


def add_notification(user_id: int, subject: str, created_at: str) -> None:
    with shards.engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO platform.notifications (user_id, kind, dedupe_key, subject, body, created_at) "
            "VALUES (:user_id, 'news', :subject, :subject, 'body', :created_at)"
        ), {"user_id": user_id, "subject": subject, "created_at": created_at})


def test_a_new_account_finds_its_welcome_notification(app, client, sign_up):
    user = sign_up("ada@example.com")
    with app.app_context():
        send_welcome(user.user_id)

    response = client.get("/api/v1/me/notifications", headers=user.headers)

    assert response.status_code == 200
    [notification] = response.get_json()
    assert notification["kind"] == "welcome"
    assert notification["subject"] == "Welcome to the marketplace"
    assert "Ada" in notification["body"]


def test_notifications_come_newest_first_and_only_the_callers_own(client, sign_up):
    ada = sign_up("ada@example.com")
    grace = sign_up("grace@example.com")
    add_notification(ada.user_id, "older", "2026-01-01T10:00:00Z")
    add_notification(ada.user_id, "newer", "2026-01-02T10:00:00Z")
    add_notification(grace.user_id, "not for ada", "2026-01-03T10:00:00Z")

    response = client.get("/api/v1/me/notifications", headers=ada.headers)

    assert [notification["subject"] for notification in response.get_json()] == ["newer", "older"]


def test_notifications_come_in_pages(client, sign_up):
    ada = sign_up("ada@example.com")
    for day in range(1, 6):
        add_notification(ada.user_id, f"day {day}", f"2026-01-0{day}T10:00:00Z")

    response = client.get("/api/v1/me/notifications?page=2&page_size=2", headers=ada.headers)

    assert [notification["subject"] for notification in response.get_json()] == ["day 3", "day 2"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 5


def test_notifications_need_a_signed_in_user(client):
    response = client.get("/api/v1/me/notifications")

    assert response.status_code == 401


@pytest.mark.parametrize("query", ["page=0", "page=10001", "page_size=101", "page=x"])
def test_bad_paging_is_a_422(client, sign_up, query):
    ada = sign_up("ada@example.com")

    response = client.get(f"/api/v1/me/notifications?{query}", headers=ada.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
