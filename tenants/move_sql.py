"""What a tenant move does inside the databases: change capture, freeze, copy, delta, sequences, checksums.

The embedded servers run with wal_level=replica, so there is no logical
replication to lean on; a move captures changes with triggers instead. On
the source, a side schema `<tenant schema>_move` holds a change log and two
trigger functions, installed on every table of the tenant schema:

- a row trigger, after each insert, update or delete, logs the table and the
  row's primary key (both keys when an update changes it);
- a statement trigger, before each write, takes a shared transaction-level
  advisory lock of the tenant, or refuses the write with SQLSTATE MT001 if
  it cannot (the app answers that with 503 `tenant_moving`).

Freezing is taking that lock exclusively, on the mover's own session. The
request waits for the writers in flight (each holds the shared lock until it
ends) and, while it waits, every new writer's try fails at once, since a
waiting exclusive request blocks new shared ones. Unlike `LOCK TABLE … IN
SHARE MODE` over many tables, it cannot deadlock with a writer that holds one
table and wants the next, and a lock is not an MVCC row: a writer sees it
whatever its snapshot. A crashed mover releases it with its session, so a
crash never leaves a seller frozen (the move then resumes at the freeze).
After the flip the source is retired for good: the statement trigger is
replaced by one that always refuses, for requests that resolved the old
shard just before the flip.

All work here is on plain psycopg connections (one per shard, autocommit
unless a transaction is opened), with the session settings that make the
text of a row the same on both servers, which the checksums compare.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tenants.shards import shards

TENANT_MOVING_SQLSTATE = "MT001"
# Advisory lock keys of moves: 'move' in the high 32 bits, the tenant id below, so that they never
# meet the tenant-id keys provisioning locks.
FREEZE_LOCK_BASE = 0x6D6F7665 << 32
# Rows of the change log copied per delta round: one round is one target transaction.
DELTA_BATCH_SIZE = 5000
# Row text depends on these session settings; both sides of a checksum use the same.
CANONICAL_SESSION = {"TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres",
                     "extra_float_digits": "3", "bytea_output": "hex"}


@dataclass(frozen=True)
class TableShape:
    """A tenant table as a move copies it: its columns and primary key, parents before children."""

    name: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableFingerprint:
    row_count: int
    checksum: str


def connect(shard_key: str) -> psycopg.Connection:
    """A new autocommit connection to the shard, outside the app's pools (a move holds it for minutes)."""
    url = make_url(shards.url(shard_key)).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url, autocommit=True)
    for name, value in CANONICAL_SESSION.items():
        connection.execute("SELECT set_config(%s, %s, false)", (name, value))
    return connection


def capture_schema_for(schema_name: str) -> str:
    return f"{schema_name}_move"


def freeze_lock_key(tenant_id: int) -> int:
    return FREEZE_LOCK_BASE + int(tenant_id)


# Change capture and the freeze guard (source)

def install_capture(source: psycopg.Connection, schema_name: str, tenant_id: int, tables: Sequence[TableShape],
                    lock_timeout_ms: int) -> None:
    """Create the change log and the trigger functions, then put both triggers on every table; idempotent.

    One table per transaction: creating a trigger waits for that table's
    writers only, and holds nothing else meanwhile, so it cannot deadlock
    with them.
    """
    capture = capture_schema_for(schema_name)
    with source.transaction():
        source.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(capture)))
        source.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.changes (id bigserial PRIMARY KEY, table_name text NOT NULL,"
            " key jsonb NOT NULL)").format(sql.Identifier(capture)))
        source.execute(_log_change_function(capture))
        source.execute(_guard_function(capture, tenant_id))
    for table in tables:
        with source.transaction():
            source.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{lock_timeout_ms}ms")))
            qualified = sql.Identifier(schema_name, table.name)
            source.execute(sql.SQL(
                "CREATE OR REPLACE TRIGGER tenant_move_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {}"
                " FOR EACH STATEMENT EXECUTE FUNCTION {}.refuse_while_frozen()"
            ).format(qualified, sql.Identifier(capture)))
            source.execute(sql.SQL(
                "CREATE OR REPLACE TRIGGER tenant_move_log AFTER INSERT OR UPDATE OR DELETE ON {}"
                " FOR EACH ROW EXECUTE FUNCTION {}.log_change({})"
            ).format(qualified, sql.Identifier(capture), sql.SQL(", ").join(map(sql.Literal, table.key_columns))))


def _log_change_function(capture: str) -> sql.Composed:
    return sql.SQL("""
CREATE OR REPLACE FUNCTION {capture}.log_change() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    old_key jsonb;
    new_key jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(key_column, to_jsonb(OLD) -> key_column) INTO old_key FROM unnest(TG_ARGV) key_column;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(key_column, to_jsonb(NEW) -> key_column) INTO new_key FROM unnest(TG_ARGV) key_column;
        INSERT INTO {capture}.changes (table_name, key) VALUES (TG_TABLE_NAME, new_key);
    END IF;
    IF old_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
        INSERT INTO {capture}.changes (table_name, key) VALUES (TG_TABLE_NAME, old_key);
    END IF;
    RETURN NULL;
END
$body$""").format(capture=sql.Identifier(capture))


def _guard_function(capture: str, tenant_id: int) -> sql.Composed:
    return sql.SQL("""
CREATE OR REPLACE FUNCTION {capture}.refuse_while_frozen() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared({lock_key}) THEN
        RAISE EXCEPTION 'tenant {tenant_id} is moving to another database server' USING ERRCODE = {sqlstate};
    END IF;
    RETURN NULL;
END
$body$""").format(capture=sql.Identifier(capture), lock_key=sql.Literal(freeze_lock_key(tenant_id)),
                  tenant_id=sql.SQL(str(int(tenant_id))), sqlstate=sql.Literal(TENANT_MOVING_SQLSTATE))


def _retired_guard_function(capture: str, tenant_id: int) -> sql.Composed:
    return sql.SQL("""
CREATE OR REPLACE FUNCTION {capture}.refuse_while_frozen() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'tenant {tenant_id} has moved to another database server' USING ERRCODE = {sqlstate};
END
$body$""").format(capture=sql.Identifier(capture), tenant_id=sql.SQL(str(int(tenant_id))),
                  sqlstate=sql.Literal(TENANT_MOVING_SQLSTATE))


def freeze(source: psycopg.Connection, schema_name: str, tenant_id: int, lock_timeout_ms: int) -> None:
    """Refuse the tenant's writes on the source, once the writers in flight are done; held by this session.

    The guard is (re)installed first: a move resumed after a crash at the
    flip may find the retired one.
    """
    source.execute(_guard_function(capture_schema_for(schema_name), tenant_id))
    source.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_ms}ms")))
    try:
        source.execute("SELECT pg_advisory_lock(%s)", (freeze_lock_key(tenant_id),))
    finally:
        source.execute("RESET lock_timeout")


def retire_source(source: psycopg.Connection, schema_name: str, tenant_id: int) -> None:
    """Make the source refuse the tenant's writes for good (it is about to stop being the tenant's home)."""
    source.execute(_retired_guard_function(capture_schema_for(schema_name), tenant_id))


def remove_capture(source: psycopg.Connection, schema_name: str, tenant_id: int) -> None:
    """Drop the change log and both triggers (they depend on its functions), then lift the freeze."""
    source.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(capture_schema_for(schema_name))))
    source.execute("SELECT pg_advisory_unlock_all()")


def drop_schema(connection: psycopg.Connection, schema_name: str) -> None:
    connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema_name)))


# Copying (source to target)

def copy_snapshot(source: psycopg.Connection, target: psycopg.Connection, schema_name: str,
                  tables: Sequence[TableShape]) -> None:
    """Copy every table as of one source snapshot into the target's empty tables, in one target transaction.

    Binary COPY, streamed block by block: nothing is held in memory, and
    every value arrives exactly as stored. Explicit column lists, because a
    schema migrated over time may order its columns unlike a fresh one.
    """
    source.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        with target.transaction():
            for table in tables:
                _stream_copy(source, target, _select_all(schema_name, table), schema_name, table)
    finally:
        source.execute("COMMIT")


def apply_logged_changes(source: psycopg.Connection, target: psycopg.Connection, schema_name: str,
                         tables: Sequence[TableShape], batch_size: int = DELTA_BATCH_SIZE) -> int:
    """Copy the rows named by the oldest `batch_size` logged changes to the target; return how many changes.

    Each logged key is copied as the source holds it now, or deleted from
    the target if the source has it no more: deletes children first, then
    upserts parents first, in one target transaction (an upsert, not a delete
    and insert, so that ON DELETE CASCADE never touches an unchanged child).
    The changes are forgotten only once the target has committed, so a crash
    in between copies them again, which changes nothing.
    """
    capture = sql.Identifier(capture_schema_for(schema_name))
    changes = source.execute(sql.SQL("SELECT id, table_name, key FROM {}.changes ORDER BY id LIMIT %s")
                             .format(capture), (batch_size,)).fetchall()
    if not changes:
        return 0
    keys_by_table = _distinct_keys_by_table(changes)
    changed_tables = [table for table in tables if table.name in keys_by_table]
    with target.transaction():
        for table in changed_tables:
            _fetch_current_rows(source, target, schema_name, table, keys_by_table[table.name])
        for table in reversed(changed_tables):
            _delete_vanished_rows(target, schema_name, table, keys_by_table[table.name])
        for table in changed_tables:
            _upsert_current_rows(target, schema_name, table)
    source.execute(sql.SQL("DELETE FROM {}.changes WHERE id = ANY(%s)").format(capture),
                   ([change_id for change_id, _, _ in changes],))
    return len(changes)


def _distinct_keys_by_table(changes: Iterable[tuple[int, str, dict]]) -> dict[str, str]:
    """The distinct keys of each table, as one JSON array text per table."""
    keys: dict[str, dict[str, dict]] = defaultdict(dict)
    for _, table_name, key in changes:
        keys[table_name][json.dumps(key, sort_keys=True)] = key
    return {table_name: json.dumps(list(by_text.values())) for table_name, by_text in keys.items()}


def _fetch_current_rows(source, target, schema_name: str, table: TableShape, keys_json: str) -> None:
    incoming = sql.Identifier(_incoming_table(table))
    target.execute(sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP")
                   .format(incoming, sql.Identifier(schema_name, table.name)))
    query = sql.SQL("SELECT {columns} FROM {table} WHERE ({key}) IN ({keys})").format(
        columns=_column_list(table.columns), table=sql.Identifier(schema_name, table.name),
        key=_column_list(table.key_columns), keys=_keys_as_rows(schema_name, table, keys_json))
    _stream_copy(source, target, query, None, table, into=incoming)


def _delete_vanished_rows(target, schema_name: str, table: TableShape, keys_json: str) -> None:
    key = _column_list(table.key_columns)
    target.execute(sql.SQL("DELETE FROM {table} WHERE ({key}) IN ({keys}) AND ({key}) NOT IN (SELECT {key} FROM {incoming})")
                   .format(table=sql.Identifier(schema_name, table.name), key=key,
                           keys=_keys_as_rows(schema_name, table, keys_json),
                           incoming=sql.Identifier(_incoming_table(table))))


def _upsert_current_rows(target, schema_name: str, table: TableShape) -> None:
    value_columns = [column for column in table.columns if column not in table.key_columns]
    on_conflict = (sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column)) for column in value_columns))
        if value_columns else sql.SQL("DO NOTHING"))
    target.execute(sql.SQL("INSERT INTO {table} ({columns}) SELECT {columns} FROM {incoming}"
                           " ON CONFLICT ({key}) {on_conflict}")
                   .format(table=sql.Identifier(schema_name, table.name), columns=_column_list(table.columns),
                           incoming=sql.Identifier(_incoming_table(table)), key=_column_list(table.key_columns),
                           on_conflict=on_conflict))


def _keys_as_rows(schema_name: str, table: TableShape, keys_json: str) -> sql.Composed:
    # The table's own row type turns each logged JSON key back into typed key columns (and an index lookup).
    return sql.SQL("SELECT {key} FROM jsonb_populate_recordset(NULL::{table}, {keys}::jsonb)").format(
        key=_column_list(table.key_columns), table=sql.Identifier(schema_name, table.name),
        keys=sql.Literal(keys_json))


def _incoming_table(table: TableShape) -> str:
    return f"incoming_{table.name}"


def copy_sequences(source: psycopg.Connection, target: psycopg.Connection, schema_name: str) -> None:
    """Set each sequence of the target schema to where the source's stands (ids go on from there)."""
    positions = source.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s AND last_value IS NOT NULL",
        (schema_name,)).fetchall()
    for sequence_name, last_value in positions:
        target.execute("SELECT setval(%s::regclass, %s, true)",
                       (sql.Identifier(schema_name, sequence_name).as_string(target), last_value))


def _stream_copy(source, target, query: sql.Composable, schema_name: str | None, table: TableShape,
                 into: sql.Identifier | None = None) -> None:
    destination = into or sql.Identifier(schema_name, table.name)
    copy_out = sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)
    copy_in = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(destination, _column_list(table.columns))
    with source.cursor().copy(copy_out) as rows_out, target.cursor().copy(copy_in) as rows_in:
        for block in rows_out:
            rows_in.write(block)


def _select_all(schema_name: str, table: TableShape) -> sql.Composed:
    return sql.SQL("SELECT {} FROM {}").format(_column_list(table.columns), sql.Identifier(schema_name, table.name))


def _column_list(columns: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


# Verification

def fingerprints(connection: psycopg.Connection, schema_name: str,
                 tables: Sequence[TableShape]) -> dict[str, TableFingerprint]:
    """Per table: its row count and the md5 of its rows' md5s in primary-key order."""
    found = {}
    for table in tables:
        row_count, checksum = connection.execute(sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(md5(ROW({columns})::text), '' ORDER BY {key}), ''))"
            " FROM {table}"
        ).format(columns=_column_list(table.columns), key=_column_list(table.key_columns),
                 table=sql.Identifier(schema_name, table.name))).fetchone()
        found[table.name] = TableFingerprint(row_count, checksum)
    return found
