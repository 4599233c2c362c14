"""Email change: asked for with the current password, confirmed from the new address, told to the old one."""
from __future__ import annotations

from tests.mailbox import text_of

CHANGE = "/api/v1/me/email-change"
CONFIRM = "/api/v1/auth/email-change/confirm"


def ask(client, user, new_email: str = "ada@new.example", password: str | None = None):
    return client.post(CHANGE, headers=user.headers,
                       json={"current_password": password or user.password, "new_email": new_email})


def test_the_address_changes_once_the_new_one_is_confirmed_and_the_old_one_is_told(client, buyer, mailbox,
                                                                                    log_in):
    asked = ask(client, buyer)
    before_confirmation = client.get("/api/v1/me", headers=buyer.headers).get_json()["email"]
    token = mailbox.token_for("ada@new.example")

    confirmed = client.post(CONFIRM, json={"token": token})
    profile = client.get("/api/v1/me", headers=buyer.headers).get_json()
    notice = mailbox.latest_to(buyer.email)

    assert asked.status_code == 202
    assert before_confirmation == buyer.email
    assert confirmed.status_code == 204
    assert profile["email"] == "ada@new.example"
    assert profile["email_verified_at"] is not None
    assert notice["Subject"] == "Your email address was changed"
    assert "ada@new.example" in text_of(notice)
    assert log_in("ada@new.example").status_code == 201


def test_a_wrong_current_password_sends_nothing(client, buyer, mailbox):
    response = ask(client, buyer, password="not my password")

    assert response.status_code == 422
    assert "current_password" in response.get_json()["errors"]
    assert mailbox.to("ada@new.example") == []


def test_an_address_of_another_account_is_refused(client, buyer, sign_up, mailbox):
    sign_up("taken@example.com")

    response = ask(client, buyer, new_email="Taken@Example.com")

    assert response.status_code == 409
    assert response.get_json()["code"] == "email_taken"
    assert mailbox.to("taken@example.com") == []


def test_the_current_address_is_no_change(client, buyer):
    response = ask(client, buyer, new_email=buyer.email.upper())

    assert response.status_code == 422
    assert "new_email" in response.get_json()["errors"]


def test_an_address_taken_meanwhile_is_a_409_and_nothing_changes(client, buyer, sign_up, mailbox):
    ask(client, buyer)
    token = mailbox.token_for("ada@new.example")
    sign_up("ada@new.example")

    response = client.post(CONFIRM, json={"token": token})

    assert response.status_code == 409
    assert response.get_json()["code"] == "email_taken"
    assert client.get("/api/v1/me", headers=buyer.headers).get_json()["email"] == buyer.email


def test_a_change_token_works_once(client, buyer, mailbox):
    ask(client, buyer)
    token = mailbox.token_for("ada@new.example")
    client.post(CONFIRM, json={"token": token})

    response = client.post(CONFIRM, json={"token": token})

    assert (response.status_code, response.get_json()["code"]) == (409, "token_used")


def test_a_verification_mailed_to_the_old_address_no_longer_verifies_after_a_change(client, sign_up, mailbox):
    ada = sign_up("ada@old.example", verified=False)
    old_token = mailbox.token_for("ada@old.example")
    ask(client, ada)
    client.post(CONFIRM, json={"token": mailbox.token_for("ada@new.example")})

    response = client.post("/api/v1/auth/email-verification", json={"token": old_token})

    assert response.status_code == 410


def test_asking_needs_a_sign_in(client):
    response = client.post(CHANGE, json={"current_password": "whatever it is", "new_email": "x@example.com"})

    assert response.status_code == 401
