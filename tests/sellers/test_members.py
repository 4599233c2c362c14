"""Members: invites by mail and their expiry, who may grant which role, role changes, removal, the last owner."""
from __future__ import annotations

import hashlib

import pytest

from marketplace.sellers.jobs import send_member_invite
from tests.mailbox import text_of

INVITES = "/api/v1/sellers/acme-tools/members/invites"


def invite(client, inviter, email: str = "newbie@example.com", role: str = "staff"):
    return client.post(INVITES, json={"email": email, "role": role}, headers=inviter.headers)


@pytest.fixture
def mailed_invite(client, mailbox):
    """Invite someone and return the token from the invite mail (the only place it appears)."""

    def send(inviter, email: str = "newbie@example.com", role: str = "staff") -> str:
        assert invite(client, inviter, email=email, role=role).status_code == 201
        return mailbox.token_for(email)

    return send


def accept(client, invitee, token: str):
    return client.post("/api/v1/member-invites/accept", json={"token": token}, headers=invitee.headers)


def roles(client, viewer) -> dict[str, str]:
    members = client.get("/api/v1/sellers/acme-tools/members", headers=viewer.headers).get_json()
    return {member["email"]: member["role"] for member in members}


def test_an_invitee_joins_with_the_invited_role(client, team, sign_up, mailed_invite):
    newbie = sign_up("newbie@example.com")
    token = mailed_invite(team.owner, role="manager")

    response = accept(client, newbie, token)

    assert response.status_code == 200
    assert roles(client, team.owner)["newbie@example.com"] == "manager"


def test_only_the_tokens_digest_is_stored(team, sql, mailed_invite):
    token = mailed_invite(team.owner)

    [(token_hash,)] = sql("SELECT token_hash FROM platform.member_invites")

    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_hash


def test_the_invite_answer_carries_no_token_and_the_invitee_gets_one_mail(app, client, team, mailbox):
    response = invite(client, team.owner, email="newbie@example.com", role="manager")

    with app.app_context():
        send_member_invite(response.get_json()["id"])
        send_member_invite(response.get_json()["id"])

    assert response.status_code == 201
    assert "token" not in response.get_json()
    [mail] = mailbox.to("newbie@example.com")
    assert mail["Subject"] == "You are invited to join Acme Tools"
    assert "as manager" in text_of(mail)
    assert mail.get_body(preferencelist=("html",)) is not None


def test_an_invite_to_an_address_without_an_account_is_accepted_once_it_has_one(client, team, sign_up,
                                                                                 mailed_invite):
    token = mailed_invite(team.owner, email="later@example.com")
    later = sign_up("later@example.com")

    response = accept(client, later, token)

    assert response.status_code == 200


def test_an_invitee_whose_address_is_not_verified_cannot_accept(client, team, sign_up, mailed_invite):
    squatter = sign_up("newbie@example.com", verified=False)
    token = mailed_invite(team.owner, role="owner")

    response = accept(client, squatter, token)

    assert response.status_code == 403
    assert response.get_json()["code"] == "email_not_verified"
    assert "newbie@example.com" not in roles(client, team.owner)
    notices = client.get("/api/v1/me/notifications", headers=squatter.headers).get_json()
    assert [notice for notice in notices if token in notice["body"]] == []


def test_an_invite_withdrawn_before_its_mail_went_out_is_never_mailed(client, team, mailbox):
    issued = invite(client, team.owner).get_json()
    client.delete(f"{INVITES}/{issued['id']}", headers=team.owner.headers)

    assert mailbox.to("newbie@example.com") == []


def test_an_invite_sent_to_someone_else_cannot_be_accepted(client, team, sign_up, mailed_invite):
    sign_up("newbie@example.com")
    intruder = sign_up("intruder@example.com")
    token = mailed_invite(team.owner)

    response = accept(client, intruder, token)

    assert response.status_code == 403
    assert response.get_json()["code"] == "invite_email_mismatch"
    assert "intruder@example.com" not in roles(client, team.owner)


def test_an_expired_invite_is_gone(client, team, sign_up, sql, mailed_invite):
    newbie = sign_up("newbie@example.com")
    token = mailed_invite(team.owner)
    sql("UPDATE platform.member_invites SET expires_at = now() - interval '1 second'")

    response = accept(client, newbie, token)

    assert response.status_code == 410
    assert response.get_json()["code"] == "invite_expired"
    assert "newbie@example.com" not in roles(client, team.owner)


def test_an_invite_expires_after_seven_days(client, team, sql):
    invite(client, team.owner)

    [(lifetime_days,)] = sql("SELECT round(extract(epoch FROM expires_at - created_at) / 86400)::int "
                             "FROM platform.member_invites")

    assert lifetime_days == 7


def test_a_withdrawn_invite_is_gone(client, team, sign_up, mailed_invite):
    newbie = sign_up("newbie@example.com")
    token = mailed_invite(team.owner)
    [issued] = client.get(INVITES, headers=team.manager.headers).get_json()

    withdrawn = client.delete(f"{INVITES}/{issued['id']}", headers=team.manager.headers)
    response = accept(client, newbie, token)

    assert withdrawn.status_code == 204
    assert response.status_code == 410
    assert response.get_json()["code"] == "invite_revoked"


def test_a_new_invite_replaces_the_open_one_for_the_same_address(client, team, sign_up, mailed_invite):
    newbie = sign_up("newbie@example.com")
    first_token = mailed_invite(team.owner)
    second_token = mailed_invite(team.owner, role="manager")

    stale = accept(client, newbie, first_token)
    fresh = accept(client, newbie, second_token)

    assert stale.status_code == 410
    assert fresh.status_code == 200
    assert roles(client, team.owner)["newbie@example.com"] == "manager"


def test_an_invite_is_used_once(client, team, sign_up, mailed_invite):
    newbie = sign_up("newbie@example.com")
    token = mailed_invite(team.owner)
    accept(client, newbie, token)

    response = accept(client, newbie, token)

    assert response.status_code == 409
    assert response.get_json()["code"] == "invite_used"


def test_an_unknown_token_is_a_404(client, buyer):
    response = accept(client, buyer, "no-such-token")

    assert response.status_code == 404


def test_inviting_a_member_is_a_409(client, team):
    response = invite(client, team.owner, email="STAFF@acme.example")

    assert response.status_code == 409
    assert response.get_json()["code"] == "already_member"


def test_invites_are_listed_with_their_status(client, team, sql):
    invite(client, team.owner, email="one@example.com")
    invite(client, team.owner, email="two@example.com")
    sql("UPDATE platform.member_invites SET expires_at = now() - interval '1 day' WHERE email = 'one@example.com'")

    listed = client.get(INVITES, headers=team.manager.headers).get_json()

    assert [(i["email"], i["status"]) for i in listed] == [("two@example.com", "open"), ("one@example.com", "expired")]
    assert all("token" not in listed_invite for listed_invite in listed)


@pytest.mark.parametrize("role, status", [("staff", 201), ("manager", 403), ("owner", 403)])
def test_managers_invite_staff_only(client, team, role, status):
    response = invite(client, team.manager, role=role)

    assert response.status_code == status


@pytest.mark.parametrize("role", ["staff", "manager", "owner"])
def test_owners_invite_with_any_role(client, team, role):
    response = invite(client, team.owner, role=role)

    assert response.status_code == 201


def test_an_invite_to_a_suspended_seller_waits_until_it_is_resumed(client, team, sign_up, operator, mailed_invite):
    newbie = sign_up("newbie@example.com")
    token = mailed_invite(team.owner)
    client.post("/api/v1/operator/tenants/acme-tools/suspend", json={"reason": "Review"}, headers=operator.headers)

    refused = accept(client, newbie, token)
    client.post("/api/v1/operator/tenants/acme-tools/resume", json={}, headers=operator.headers)
    accepted = accept(client, newbie, token)

    assert refused.status_code == 403
    assert refused.get_json()["code"] == "tenant_suspended"
    assert accepted.status_code == 200


def test_an_owner_changes_a_members_role(client, team):
    response = client.patch(f"/api/v1/sellers/acme-tools/members/{team.staff.user_id}", json={"role": "manager"},
                            headers=team.owner.headers)

    assert response.status_code == 200
    assert (response.get_json()["email"], response.get_json()["role"]) == ("staff@acme.example", "manager")
    assert roles(client, team.owner)["staff@acme.example"] == "manager"


def test_an_owner_removes_a_member(client, team):
    response = client.delete(f"/api/v1/sellers/acme-tools/members/{team.staff.user_id}", headers=team.owner.headers)

    assert response.status_code == 204
    assert "staff@acme.example" not in roles(client, team.owner)


def test_the_last_owner_cannot_be_demoted(client, team):
    response = client.patch(f"/api/v1/sellers/acme-tools/members/{team.owner.user_id}", json={"role": "manager"},
                            headers=team.owner.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "last_owner"
    assert roles(client, team.owner)["owner@acme.example"] == "owner"


def test_the_last_owner_cannot_be_removed(client, team):
    response = client.delete(f"/api/v1/sellers/acme-tools/members/{team.owner.user_id}", headers=team.owner.headers)

    assert response.status_code == 409
    assert roles(client, team.owner)["owner@acme.example"] == "owner"


def test_an_owner_may_step_down_once_there_is_another_owner(client, team):
    client.patch(f"/api/v1/sellers/acme-tools/members/{team.manager.user_id}", json={"role": "owner"},
                 headers=team.owner.headers)

    response = client.delete(f"/api/v1/sellers/acme-tools/members/{team.owner.user_id}", headers=team.owner.headers)

    assert response.status_code == 204
    assert roles(client, team.staff) == {"manager@acme.example": "owner", "staff@acme.example": "staff"}


def test_changing_someone_who_is_not_a_member_is_a_404(client, team, buyer):
    response = client.patch(f"/api/v1/sellers/acme-tools/members/{buyer.user_id}", json={"role": "staff"},
                            headers=team.owner.headers)

    assert response.status_code == 404


def test_member_changes_are_audited(client, team, operator):
    client.patch(f"/api/v1/sellers/acme-tools/members/{team.staff.user_id}", json={"role": "manager"},
                 headers=team.owner.headers)
    client.delete(f"/api/v1/sellers/acme-tools/members/{team.manager.user_id}", headers=team.owner.headers)

    entries = client.get("/api/v1/operator/audit-log?tenant=acme-tools", headers=operator.headers).get_json()

    assert [(e["action"], e["actor_email"], e["before"], e["after"]) for e in entries] == [
        ("membership.remove", "owner@acme.example", {"user_id": team.manager.user_id, "role": "manager"}, None),
        ("membership.change_role", "owner@acme.example", {"user_id": team.staff.user_id, "role": "staff"},
         {"user_id": team.staff.user_id, "role": "manager"}),
    ]
