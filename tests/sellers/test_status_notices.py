"""Owners and managers are told when an operator suspends, resumes, closes or activates their shop."""
from __future__ import annotations

from workers.relay import sweep_outbox

TENANTS = "/api/v1/operator/tenants"
NOTICE_JOB = "marketplace.sellers.jobs.notify_tenant_status_changed"


def transition(client, operator, action: str, reason: str | None = None):
    return client.post(f"{TENANTS}/acme-tools/{action}", json={"reason": reason} if reason else {},
                       headers=operator.headers)


def status_notices(client, member) -> list[dict]:
    """The member's notices about the shop's status, newest first."""
    notifications = client.get("/api/v1/me/notifications", headers=member.headers).get_json()
    return [notification for notification in notifications if notification["kind"].startswith("tenant_")]


def test_owners_and_managers_are_told_of_a_suspension_and_its_reason(client, operator, team, jobs):
    suspended = transition(client, operator, "suspend", reason="Three orders shipped without tracking.")
    jobs()

    assert suspended.status_code == 200
    for member in (team.owner, team.manager):
        [notice] = status_notices(client, member)
        assert notice["kind"] == "tenant_suspended"
        assert notice["subject"] == "Your shop Acme Tools is suspended"
        assert "portal is read-only" in notice["body"]
        assert notice["body"].endswith("The reason given: Three orders shipped without tracking.")


def test_staff_members_are_not_told(client, operator, team, jobs):
    transition(client, operator, "suspend", reason="Three orders shipped without tracking.")
    jobs()

    assert status_notices(client, team.staff) == []
    assert len(status_notices(client, team.owner)) == 1


def test_each_transition_is_a_notice_of_its_own(client, operator, team, jobs):
    transition(client, operator, "suspend", reason="Unpaid invoices.")
    transition(client, operator, "resume")
    transition(client, operator, "suspend", reason="Unpaid invoices again.")
    transition(client, operator, "close", reason="The seller asked to leave.")
    jobs()

    notices = status_notices(client, team.owner)
    assert [notice["subject"] for notice in notices] == [
        "Your shop Acme Tools is closed",
        "Your shop Acme Tools is suspended",
        "Your shop Acme Tools is open again",
        "Your shop Acme Tools is suspended",
    ]
    assert notices[0]["body"].endswith("The reason given: The seller asked to leave.")
    assert notices[1]["body"].endswith("The reason given: Unpaid invoices again.")
    assert "reason" not in notices[2]["body"]


def test_a_notice_delivered_again_is_not_recorded_twice(app, client, operator, team, jobs, sql):
    transition(client, operator, "suspend", reason="Unpaid invoices.")
    jobs()
    before = sql("SELECT user_id, kind, dedupe_key FROM platform.notifications ORDER BY id")

    # Delivery is at least once: put the job's outbox row back in line and let the sweeper queue it again.
    sql("UPDATE shard.outbox_messages SET dispatched_at = NULL WHERE job = :job", job=NOTICE_JOB)
    with app.app_context():
        assert sweep_outbox() == 1
    jobs()

    assert sql("SELECT user_id, kind, dedupe_key FROM platform.notifications ORDER BY id") == before
    assert sorted(user_id for user_id, kind, _ in before if kind == "tenant_suspended") == sorted(
        [team.owner.user_id, team.manager.user_id])


def test_a_refused_transition_tells_nobody(client, operator, team, jobs):
    refused = transition(client, operator, "resume")
    jobs()

    assert refused.status_code == 409
    assert status_notices(client, team.owner) == []


def test_activating_a_pending_shop_tells_its_owner(client, operator, team, jobs, sql):
    sql("UPDATE platform.tenants SET status = 'pending' WHERE slug = 'acme-tools'")

    transition(client, operator, "activate")
    jobs()

    [notice] = status_notices(client, team.owner)
    assert (notice["kind"], notice["subject"]) == ("tenant_activated", "Your shop Acme Tools is open")
