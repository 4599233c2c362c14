"""The purge of bearer tokens that expired or were revoked more than TOKEN_RETENTION_DAYS ago."""
from __future__ import annotations

import pytest

from marketplace.accounts.jobs import purge_stale_tokens
from marketplace.accounts.services import purge_stale_tokens as purge_in_batches
from marketplace.accounts.tokens import token_digest

RETENTION_DAYS = 7


@pytest.fixture
def add_token(sql, buyer):
    """Store a token of the buyer under `label` (as its hash) that expires in `expires_in_days` (past if negative),
    revoked `revoked_days_ago` (never if None)."""

    def add(label: str, expires_in_days: int, revoked_days_ago: int | None = None) -> None:
        sql("INSERT INTO platform.api_tokens (user_id, token_hash, created_at, expires_at, revoked_at) "
            "VALUES (:user_id, :label, now() - interval '30 days', now() + make_interval(secs => :expires * 86400), "
            "now() - make_interval(secs => :revoked * 86400))",
            user_id=buyer.user_id, label=label, expires=expires_in_days, revoked=revoked_days_ago)

    return add


@pytest.fixture
def stored_labels(sql, buyer):
    """The labels of the stored tokens, other than the one the buyer signed in with."""
    query = "SELECT token_hash FROM platform.api_tokens WHERE token_hash <> :signed_in"
    return lambda: sorted(label for (label,) in sql(query, signed_in=token_digest(buyer.token)))


def test_tokens_ended_longer_ago_than_the_retention_go_and_the_others_stay(app, client, buyer, add_token,
                                                                            stored_labels):
    add_token("expired 8 days ago", expires_in_days=-8)
    add_token("revoked 8 days ago", expires_in_days=5, revoked_days_ago=8)
    add_token("expired a day ago", expires_in_days=-1)
    add_token("revoked a day ago", expires_in_days=5, revoked_days_ago=1)
    add_token("live", expires_in_days=5)

    with app.app_context():
        purge_stale_tokens(RETENTION_DAYS)

    assert stored_labels() == ["expired a day ago", "live", "revoked a day ago"]
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 200


def test_running_the_purge_again_deletes_nothing_more(app, add_token, stored_labels):
    add_token("expired 8 days ago", expires_in_days=-8)
    add_token("expired a day ago", expires_in_days=-1)

    with app.app_context():
        first_count = purge_in_batches(RETENTION_DAYS)
        second_count = purge_in_batches(RETENTION_DAYS)

    assert (first_count, second_count) == (1, 0)
    assert stored_labels() == ["expired a day ago"]


def test_a_backlog_larger_than_a_batch_is_purged_in_one_run(app, add_token, stored_labels):
    for number in range(5):
        add_token(f"expired {10 + number} days ago", expires_in_days=-(10 + number))
    add_token("live", expires_in_days=5)

    with app.app_context():
        deleted_count = purge_in_batches(RETENTION_DAYS, batch_size=2)

    assert deleted_count == 5
    assert stored_labels() == ["live"]


def test_the_retention_is_the_configured_number_of_days(app, add_token, stored_labels):
    add_token("expired 3 days ago", expires_in_days=-3)
    add_token("expired a day ago", expires_in_days=-1)

    with app.app_context():
        purge_in_batches(2)

    assert stored_labels() == ["expired a day ago"]
