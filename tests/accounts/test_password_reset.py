"""Password reset by mail: no account enumeration, a single-use expiring token, everyone signed out."""
from __future__ import annotations

import threading

from tests.conftest import PASSWORD
from tests.mailbox import text_of

REQUEST = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a brand new passphrase"


def test_a_reset_sets_the_new_password_and_signs_the_account_out_everywhere(client, buyer, log_in, mailbox):
    other_device = log_in(buyer.email).get_json()["access_token"]

    requested = client.post(REQUEST, json={"email": "BUYER@example.com"})
    mail = mailbox.latest_to(buyer.email)
    reset = client.post(CONFIRM, json={"token": mailbox.token_for(buyer.email), "new_password": NEW_PASSWORD})

    assert requested.status_code == 202
    assert mail["Subject"] == "Reset your password"
    assert reset.status_code == 204
    assert log_in(buyer.email, NEW_PASSWORD).status_code == 201
    assert log_in(buyer.email, PASSWORD).status_code == 401
    for token in (buyer.token, other_device):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_unknown_address_gets_the_same_answer_and_nothing_happens(client, mailbox, row_counts):
    before = row_counts()

    response = client.post(REQUEST, json={"email": "nobody@example.com"})

    assert response.status_code == 202
    assert response.get_data() == client.post(REQUEST, json={"email": "nobody@example.com"}).get_data()
    assert row_counts() == before
    assert mailbox.messages() == []


def test_a_disabled_account_gets_no_reset_mail(client, buyer, sql, mailbox):
    sql("UPDATE platform.users SET is_active = false")

    response = client.post(REQUEST, json={"email": buyer.email})

    assert response.status_code == 202
    assert mailbox.to(buyer.email) == []


def test_a_reset_token_works_once(client, buyer, mailbox):
    client.post(REQUEST, json={"email": buyer.email})
    token = mailbox.token_for(buyer.email)
    client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    response = client.post(CONFIRM, json={"token": token, "new_password": "yet another passphrase"})

    assert response.status_code == 409
    assert response.get_json()["code"] == "token_used"


def test_an_expired_reset_token_changes_nothing(client, buyer, mailbox, sql, log_in):
    client.post(REQUEST, json={"email": buyer.email})
    token = mailbox.token_for(buyer.email)
    sql("UPDATE platform.mailed_tokens SET expires_at = now() - interval '1 second'")

    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert (response.status_code, response.get_json()["code"]) == (410, "token_expired")
    assert log_in(buyer.email, PASSWORD).status_code == 201


def test_a_reset_token_lives_one_hour(client, buyer, mailbox, sql):
    client.post(REQUEST, json={"email": buyer.email})
    mailbox.token_for(buyer.email)

    [(lifetime_minutes,)] = sql("SELECT round(extract(epoch FROM expires_at - now()) / 60)::int "
                                "FROM platform.mailed_tokens WHERE purpose = 'reset_password'")

    assert lifetime_minutes == 60


def test_a_newer_reset_mail_replaces_the_older_one(client, buyer, mailbox):
    client.post(REQUEST, json={"email": buyer.email})
    first_token = mailbox.token_for(buyer.email)
    client.post(REQUEST, json={"email": buyer.email})
    second_token = mailbox.token_for(buyer.email)

    stale = client.post(CONFIRM, json={"token": first_token, "new_password": NEW_PASSWORD})
    fresh = client.post(CONFIRM, json={"token": second_token, "new_password": NEW_PASSWORD})

    assert (stale.status_code, stale.get_json()["code"]) == (410, "token_replaced")
    assert fresh.status_code == 204


def test_a_too_short_password_is_refused_and_the_token_still_works(client, buyer, mailbox):
    client.post(REQUEST, json={"email": buyer.email})
    token = mailbox.token_for(buyer.email)

    refused = client.post(CONFIRM, json={"token": token, "new_password": "short"})
    accepted = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert refused.status_code == 422
    assert "new_password" in refused.get_json()["errors"]
    assert accepted.status_code == 204


def test_a_verification_token_is_no_reset_token(client, sign_up, mailbox):
    sign_up("ada@example.com", verified=False)
    verification_token = mailbox.token_for("ada@example.com")

    response = client.post(CONFIRM, json={"token": verification_token, "new_password": NEW_PASSWORD})

    assert response.status_code == 404


def test_a_reset_proves_the_address(client, sign_up, mailbox):
    ada = sign_up("ada@example.com", verified=False)
    client.post(REQUEST, json={"email": ada.email})
    client.post(CONFIRM, json={"token": mailbox.token_for(ada.email), "new_password": NEW_PASSWORD})
    token = client.post("/api/v1/auth/token", json={"email": ada.email, "password": NEW_PASSWORD}).get_json()

    profile = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}).get_json()

    assert profile["email_verified_at"] is not None


def test_the_reset_mail_says_that_every_device_is_signed_out(client, buyer, mailbox):
    client.post(REQUEST, json={"email": buyer.email})

    assert "signed out" in text_of(mailbox.latest_to(buyer.email))


def test_two_resets_racing_with_one_token_set_exactly_one_password(app, client, buyer, mailbox, log_in):
    client.post(REQUEST, json={"email": buyer.email})
    token = mailbox.token_for(buyer.email)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def reset(new_password: str) -> None:
        start.wait()
        statuses.append(app.test_client().post(CONFIRM, json={"token": token, "new_password": new_password})
                        .status_code)

    threads = [threading.Thread(target=reset, args=(password,)) for password in ("first new passphrase",
                                                                                  "second new passphrase")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204, 409]
    working = [password for password in ("first new passphrase", "second new passphrase")
               if log_in(buyer.email, password).status_code == 201]
    assert len(working) == 1
