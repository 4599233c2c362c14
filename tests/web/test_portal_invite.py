"""Joining a seller's team from the portal with the code of the invite mail."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.accounts.models import MemberRole
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.portal_support import heading


def invite(client, owner, email: str, role: str = "staff") -> None:
    response = client.post("/api/v1/sellers/oak/members/invites", json={"email": email, "role": role},
                           headers=owner.headers)
    assert response.status_code == 201, response.get_json()


def test_an_invited_account_joins_with_the_code_of_its_mail_and_a_wrong_code_is_told_beside_the_field(
        page, client, sign_up, make_seller, mailbox, account):
    owner = sign_up("owner@oak.example")
    make_seller("oak", {owner.user_id: MemberRole.OWNER})
    invite(client, owner, "newbie@example.com", role="manager")
    code = mailbox.token_for("newbie@example.com")
    [mail] = mailbox.to("newbie@example.com")
    assert "/portal/new/invite" in mail.get_body(("plain",)).get_content()
    account("newbie@example.com")

    log_in(page, "newbie@example.com", next_path="/portal")
    page.get_by_role("link", name="Join it with your invite code").click()
    assert heading(page) == "Join a store's team"
    page.get_by_label("Invite code").fill("not-the-code")
    page.get_by_role("button", name="Join the team").click()
    expect(page.locator("#code-errors")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Invite code").fill(code)
    page.get_by_role("button", name="Join the team").click()
    expect(page.get_by_text("Welcome to the team of Oak, as manager.")).to_be_visible()
    assert page.url.endswith("/portal/oak")

    # The code works once: used again, it is refused beside the field and changes nothing.
    page.goto("/portal/new/invite")
    page.get_by_label("Invite code").fill(code)
    page.get_by_role("button", name="Join the team").click()
    expect(page.locator("#code-errors")).to_be_visible()


def test_an_invite_code_is_refused_to_another_account(page, client, sign_up, make_seller, mailbox, account):
    owner = sign_up("owner@oak.example")
    make_seller("oak", {owner.user_id: MemberRole.OWNER})
    invite(client, owner, "newbie@example.com")
    code = mailbox.token_for("newbie@example.com")
    account("intruder@example.com")

    log_in(page, "intruder@example.com", next_path="/portal/new/invite")
    page.get_by_label("Invite code").fill(code)
    page.get_by_role("button", name="Join the team").click()
    expect(page.locator("#code-errors")).to_be_visible()
    page.goto("/portal/oak")
    assert heading(page) == "You cannot open this page"
