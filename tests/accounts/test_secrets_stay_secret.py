"""Fresh invite, reset, verification and email-change tokens are in their mails and nowhere else.

Not in any platform row (outbox payloads, notifications, audit entries, the
sent-mail record), not in any Redis key or value (RQ's job data included),
not in any log record the requests and the jobs wrote.
"""
from __future__ import annotations

import logging
import zlib

from sqlalchemy import text

from marketplace.accounts.models import MemberRole
from marketplace.core.extensions import redis_client
from tenants.shards import shards
from tests.mailbox import token_in


def platform_rows() -> dict[str, str]:
    """Every row of every platform table and of every shard's outbox as JSON text, by table."""
    rows: dict[str, str] = {}
    for shard_key in shards.keys:
        with shards.engine(shard_key).connect() as connection:
            tables = connection.execute(text(
                "SELECT schemaname || '.' || tablename FROM pg_tables"
                " WHERE schemaname IN ('platform', 'shard') AND tablename <> 'alembic_version'"
            )).scalars().all()
            rows.update({f"{shard_key}:{table}": "\n".join(
                connection.execute(text(f"SELECT to_jsonb(t)::text FROM {table} t")).scalars()) for table in tables})
    return rows


def redis_contents() -> bytes:
    """Every key and value in Redis, with zlib-compressed values (RQ's job data) also decompressed."""
    redis = redis_client.client
    parts: list[bytes] = []
    for key in redis.scan_iter(count=1000):
        parts.append(key)
        kind = redis.type(key)
        if kind == b"string":
            values = [redis.get(key)]
        elif kind == b"hash":
            values = [item for pair in redis.hgetall(key).items() for item in pair]
        elif kind == b"list":
            values = redis.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(redis.smembers(key))
        elif kind == b"zset":
            values = [member for member, _ in redis.zrange(key, 0, -1, withscores=True)]
        else:
            values = [repr(redis.dump(key)).encode()]
        for value in values:
            parts.append(value)
            try:
                parts.append(zlib.decompress(value))
            except zlib.error:
                pass
    return b"\n".join(parts)


def logged_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{record.getMessage()} {vars(record)!r}" for record in records)


def test_fresh_tokens_appear_in_their_mails_and_nowhere_else(client, sign_up, make_seller, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    owner = sign_up("owner@acme.example")
    make_seller("acme-tools", {owner.user_id: MemberRole.OWNER})
    sign_up("ada@example.com", verified=False)
    client.post("/api/v1/sellers/acme-tools/members/invites", json={"email": "ada@example.com", "role": "owner"},
                headers=owner.headers)
    client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    client.post("/api/v1/me/email-change", json={"current_password": owner.password, "new_email": "cfo@acme.example"},
                headers=owner.headers)

    tokens = {mail["Subject"]: token_in(mail) for mail in mailbox.to("ada@example.com")}
    tokens["email change"] = mailbox.token_for("cfo@acme.example")

    assert set(tokens) == {"Confirm your email address", "You are invited to join Acme Tools", "Reset your password",
                           "email change"}
    assert len(set(tokens.values())) == 4
    rows, in_redis, logged = platform_rows(), redis_contents(), logged_text(caplog.records)
    assert "default:shard.outbox_messages" in rows and "default:platform.notifications" in rows
    assert b"rq:job:" in in_redis  # the jobs' own data is among what was searched
    for name, token in tokens.items():
        assert [table for table, content in rows.items() if token in content] == [], name
        assert token.encode() not in in_redis, name
        assert token not in logged, name
