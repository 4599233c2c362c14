"""Signing up: the account, its email rules and the welcome message it queues."""
from __future__ import annotations

from werkzeug.utils import import_string

from marketplace.accounts.jobs import send_mailed_token
from marketplace.notifications.jobs import send_welcome


def test_registration_creates_an_account_without_exposing_the_password(register):
    response = register("ada@example.com", full_name="  Ada Lovelace ")

    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ada@example.com"
    assert body["full_name"] == "Ada Lovelace"
    assert body["is_operator"] is False
    assert body["id"] > 0 and body["created_at"]
    assert "password" not in body and "password_hash" not in body


def test_the_password_is_stored_as_an_argon2id_hash(register, sql):
    register("ada@example.com", password="a-long-secret-1")

    (stored_hash,), = sql("SELECT password_hash FROM platform.users")
    assert stored_hash.startswith("$argon2id$")
    assert "a-long-secret-1" not in stored_hash


def test_the_email_is_trimmed_and_its_domain_lower_cased(register):
    response = register("  Ada.King@Example.COM ")

    assert response.get_json()["email"] == "Ada.King@example.com"


def test_an_email_taken_in_another_letter_case_is_refused(register, row_counts):
    register("ada@example.com")
    before = row_counts()

    response = register("ADA@example.com")

    assert response.status_code == 409
    assert response.get_json()["code"] == "email_taken"
    assert "email" in response.get_json()["errors"]
    assert row_counts() == before


def test_registration_queues_one_welcome_and_one_verification_mail_by_ids_only(register, sql):
    user_id = register("ada@example.com").get_json()["id"]

    messages = sql("SELECT job, queue, payload FROM shard.outbox_messages ORDER BY id")
    [(mailed_token_id,)] = sql("SELECT id FROM platform.mailed_tokens WHERE user_id = :user_id", user_id=user_id)
    assert [(job, queue, payload) for job, queue, payload in messages] == [
        ("marketplace.notifications.jobs.send_welcome", "default", {"user_id": user_id}),
        ("marketplace.accounts.jobs.send_mailed_token", "default", {"mailed_token_id": mailed_token_id}),
    ]
    assert import_string(messages[0].job) is send_welcome
    assert import_string(messages[1].job) is send_mailed_token


def test_a_refused_registration_queues_nothing(register, sql):
    register("ada@example.com")

    queued_before = sql("SELECT count(*) FROM shard.outbox_messages")[0][0]

    register("Ada@Example.com")

    assert sql("SELECT count(*) FROM shard.outbox_messages")[0][0] == queued_before
