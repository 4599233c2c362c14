"""Email verification: registration mails a one-time token that proves the address; resending replaces it."""
from __future__ import annotations

import hashlib

from marketplace.accounts.jobs import send_mailed_token
from tests.mailbox import html_of, text_of
from tests.sellers.conftest import APPLICATION

VERIFY = "/api/v1/auth/email-verification"


def verified_at(client, user):
    return client.get("/api/v1/me", headers=user.headers).get_json()["email_verified_at"]


def test_registering_mails_a_token_that_verifies_the_address(client, sign_up, mailbox):
    ada = sign_up("ada@example.com", verified=False)
    mail = mailbox.latest_to("ada@example.com")
    token = mailbox.token_for("ada@example.com")

    response = client.post(VERIFY, json={"token": token})

    assert mail["Subject"] == "Confirm your email address"
    assert mail["From"] == "Marketplace <no-reply@marketplace.localhost>"
    assert token in text_of(mail) and token in html_of(mail)
    assert response.status_code == 204
    assert verified_at(client, ada) is not None


def test_a_new_account_is_not_verified(client, sign_up):
    ada = sign_up("ada@example.com", verified=False)

    assert verified_at(client, ada) is None


def test_only_the_tokens_digest_is_stored(sign_up, mailbox, sql):
    sign_up("ada@example.com", verified=False)
    token = mailbox.token_for("ada@example.com")

    [(token_hash,)] = sql("SELECT token_hash FROM platform.mailed_tokens")

    assert token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_a_token_verifies_once(client, sign_up, mailbox):
    sign_up("ada@example.com", verified=False)
    token = mailbox.token_for("ada@example.com")
    client.post(VERIFY, json={"token": token})

    response = client.post(VERIFY, json={"token": token})

    assert response.status_code == 409
    assert response.get_json()["code"] == "token_used"


def test_an_expired_token_verifies_nothing(client, sign_up, mailbox, sql):
    ada = sign_up("ada@example.com", verified=False)
    token = mailbox.token_for("ada@example.com")
    sql("UPDATE platform.mailed_tokens SET expires_at = now() - interval '1 second'")

    response = client.post(VERIFY, json={"token": token})

    assert response.status_code == 410
    assert response.get_json()["code"] == "token_expired"
    assert verified_at(client, ada) is None


def test_a_token_lives_as_long_as_the_setting_says(sign_up, mailbox, sql):
    sign_up("ada@example.com", verified=False)
    mailbox.token_for("ada@example.com")

    [(lifetime_hours,)] = sql("SELECT round(extract(epoch FROM expires_at - now()) / 3600)::int "
                              "FROM platform.mailed_tokens")

    assert lifetime_hours == 48


def test_an_unknown_token_is_a_404(client):
    response = client.post(VERIFY, json={"token": "no-such-token"})

    assert response.status_code == 404
    assert response.get_json()["code"] == "token_not_found"


def test_a_missing_token_is_a_422(client):
    response = client.post(VERIFY, json={})

    assert response.status_code == 422
    assert "token" in response.get_json()["errors"]


def test_asking_again_mails_a_new_token_and_the_old_one_stops_working(client, sign_up, mailbox):
    ada = sign_up("ada@example.com", verified=False)
    first_token = mailbox.token_for("ada@example.com")

    resent = client.post("/api/v1/me/email-verification", headers=ada.headers)
    second_token = mailbox.token_for("ada@example.com")
    stale = client.post(VERIFY, json={"token": first_token})
    fresh = client.post(VERIFY, json={"token": second_token})

    assert resent.status_code == 202
    assert second_token != first_token
    assert (stale.status_code, stale.get_json()["code"]) == (410, "token_replaced")
    assert fresh.status_code == 204


def test_a_verified_address_needs_no_new_mail(client, buyer, mailbox):
    response = client.post("/api/v1/me/email-verification", headers=buyer.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "email_already_verified"
    assert mailbox.to(buyer.email) == []


def test_asking_for_a_new_mail_needs_a_sign_in(client):
    assert client.post("/api/v1/me/email-verification").status_code == 401


def test_a_redelivered_mail_job_sends_one_mail(app, sign_up, mailbox, sql):
    sign_up("ada@example.com", verified=False)
    [(mailed_token_id,)] = sql("SELECT id FROM platform.mailed_tokens")

    with app.app_context():
        send_mailed_token(mailed_token_id)
        send_mailed_token(mailed_token_id)

    assert len(mailbox.to("ada@example.com")) == 1


def test_an_account_verified_before_its_mail_went_out_gets_no_mail(sign_up, mailbox):
    sign_up("ada@example.com")  # verified at once by the fixture

    assert mailbox.to("ada@example.com") == []


def test_applying_to_sell_needs_a_verified_address(client, sign_up, mailbox, row_counts):
    ada = sign_up("ada@example.com", verified=False)
    before = row_counts()

    refused = client.post("/api/v1/seller-applications", json=APPLICATION, headers=ada.headers)

    assert refused.status_code == 403
    assert refused.get_json()["code"] == "email_not_verified"
    assert row_counts() == before

    client.post(VERIFY, json={"token": mailbox.token_for("ada@example.com")})
    accepted = client.post("/api/v1/seller-applications", json=APPLICATION, headers=ada.headers)

    assert accepted.status_code == 201
