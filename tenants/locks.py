"""Every row lock and advisory lock the services take, and the one order they take them in.

Two transactions that each hold one lock and wait for the other's deadlock:
PostgreSQL kills one after `deadlock_timeout` (a 500 for its user). Taking
every lock in one global order makes such a circle impossible, so a
transaction that takes more than one lock takes them in this order. A
transaction writes one database (README, "The rule"), so the order is that of
the control database's transactions and that of a tenant's:

    In the control database
    1. the tenant's registry row (`lock_row(session, Tenant, id)`); a payout run holds it while it pays
       that seller out (billing/payouts.py), then writes its ledger transaction and result
    2. the category tree (`lock_category_tree`: the advisory lock of structural changes),
       then categories (FOR UPDATE when deleting), in id order
    3. a user (accounts), then what belongs to that user: its mailed tokens, its
       memberships and invites, its addresses, its cart; at login, the guest cart merging into
       it, then the user's cart. The user comes first even when the token names it:
       look the token up unlocked, lock its user, then lock the token.
       A cart changed outside a login (marketplace/cart/services.py) is locked alone.
    4. a tenant's custom domain claims
    5. listing rows (in product id order), in the listing job's own transaction
    6. a seller's stored search facet counts (`lock_sellers_facet_counts`, sellers in id order),
       in the search indexing job's transaction
    7. money after payment: a marketplace order's row (`lock_against_updates`: its settlement, or a
       refund of it posted to the ledger, billing/settlement.py; a batch's settlement locks its orders
       in id order); a refund's row when its gateway
       state lands (marketplace/refunds); a seller's payout account row (a transfer's or a recovery's
       claim, billing/transfers.py), then that seller's transfer row; a seller's plan subscription
       (billing/plans.py), alone
    In a tenant's schema
    1. in a catalog import chunk, the seller's import lock (`lock_catalog_imports`)
    2. the seller's storefront settings row
    3. a product, then its variants in id order (`lock_rows_in_id_order`), then its reviews
    4. a checkout's stock reservations of one order (released or sold: `UPDATE … RETURNING`), then
       variants in id order (`lock_selected`, variants only); reserving takes the variants alone, then
       inserts its own reservation rows; routing then writes its new seller order
    5. a seller order (`marketplace.orders.lifecycle.lock_seller_order`), then what its move changes; a
       return is locked after its seller order (`marketplace.orders.returns`), then the variants its receipt restocks
    6. the seller's fulfilment settings row (return window, carrier secret), alone
    7. a webhook delivery, alone: claimed by its send job (`claim_row`, SKIP LOCKED, held while it is
       POSTed), or locked by a replay (`lock_row`); a webhook endpoint (rotating its secret), alone
    Anywhere
    - a tenant move's runner lock (`try_session_lock`, held across its transactions) and
      its freeze (tenants/move_sql.py: the triggers it installs take the tenant's lock
      shared per write; the mover takes it alone, on the source shard, to freeze)
    - rows no other lock depends on: a seller application, a catalog import, a mailed
      token or invite claimed by its mail job, a test gateway's payment intent (billing/gateway), a checkout attempt writing its order, a tenant
      schema being built
      (`lock_tenant_provisioning`, on its shard), a commission rule being changed or
      deleted, each taken alone

A saga step that reads one database while holding a lock in another (the
registry row while a seller's name is read from its schema) takes the
control database's lock first; no tenant transaction waits for the control
database, so no circle can form across the two.

Several rows of one kind are locked in id order (`lock_rows_in_id_order`); only
an import chunk upserts its products in another order, under the seller's import lock.
Rows are read again when locked (`populate_existing`): what a transaction
checks after the lock is what was committed, not what the session held before.

Not here: claiming work from a queue (the outbox relay, the batched purges in
`tenants.uow`) uses FOR UPDATE SKIP LOCKED, which never waits and so can never
deadlock; each claimer simply takes the rows no one else holds.
"""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Connection, Result, Select, select, text
from sqlalchemy.orm import Session

Row = TypeVar("Row")

# pg_advisory_xact_lock key of the category tree (the bytes of "cat-tree").
CATEGORY_TREE_LOCK_KEY = 0x6361742D74726565
# pg_advisory_xact_lock(class, object) class of a seller's catalog imports (the bytes of "imp"); the
# two-key space of advisory locks is apart from the one-key space of the category tree.
CATALOG_IMPORT_LOCK_CLASS = 0x696D70
# The class of a seller's stored search facet counts (PostgreSQL search backend).
SEARCH_FACET_COUNTS_LOCK_CLASS = 7_301
# The class of a tenant's schema being built (the bytes of "prv").
TENANT_PROVISIONING_LOCK_CLASS = 0x707276
INT4_KEYS = 2**31


def lock_row(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row with this id, locked FOR UPDATE until the transaction ends, as committed now (None if absent)."""
    return session.get(model, row_id, with_for_update=True, populate_existing=True)


def claim_row(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row with this id, locked FOR UPDATE SKIP LOCKED, as committed now; None if absent or another holds it.

    For work one worker at a time does to a row (a webhook delivery's POST):
    a second claimer gets None at once instead of waiting to do it again.
    """
    return session.get(model, row_id, with_for_update={"skip_locked": True}, populate_existing=True)


def lock_first(session: Session, statement: Select) -> Any | None:
    """The first row `statement` selects (say, a token by its hash), locked FOR UPDATE, as committed now."""
    return session.scalar(statement.with_for_update().execution_options(populate_existing=True))


def lock_rows_in_id_order(session: Session, model: type[Row], *conditions: Any) -> list[Row]:
    """The rows meeting `conditions`, locked FOR UPDATE in id order, as committed now."""
    return list(session.scalars(
        select(model).where(*conditions).order_by(model.id)
        .with_for_update().execution_options(populate_existing=True)
    ))


def lock_against_updates(session: Session, statement: Select) -> Result:
    """Run `statement` locking the rows it reads FOR NO KEY UPDATE: other writers of those rows wait, while rows
    that refer to them (by foreign key) may still be inserted."""
    return session.execute(statement.with_for_update(key_share=True))


def lock_selected(session: Session, statement: Select, of: Any = None) -> Result:
    """Run `statement` (ordered by the caller, in the order above) locking FOR UPDATE every row it reads
    (only the rows of `of`'s table when given: a join may read rows it does not lock)."""
    return session.execute(statement.with_for_update(of=of))


def lock_category_tree(session: Session) -> None:
    """Serialise structural changes of the category tree (create, move, delete) until the transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CATEGORY_TREE_LOCK_KEY})


def lock_catalog_imports(session: Session, tenant_id: int) -> None:
    """One chunk of one seller's catalog imports at a time, until the transaction ends.

    A chunk upserts many products in an order its file makes (products with
    a status in one statement, the others in a second), so two imports of one
    seller could each hold a product the other waits for. Sellers share a key
    past 2^31 tenants: they would only wait for each other, never deadlock.
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:lock_class, :tenant_key)"),
                    {"lock_class": CATALOG_IMPORT_LOCK_CLASS, "tenant_key": tenant_id % INT4_KEYS})


def lock_tenant_provisioning(connection: Connection, tenant_id: int) -> None:
    """One builder of a tenant's schema at a time on its shard (the request and its outbox job may race)."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:lock_class, :tenant_key)"),
                       {"lock_class": TENANT_PROVISIONING_LOCK_CLASS, "tenant_key": tenant_id % INT4_KEYS})


def try_session_lock(connection: Connection, key: int) -> bool:
    """Take the session-level advisory lock `key` on this connection if free (False if another holds it).

    For a runner that spans many transactions (a tenant move): the lock goes
    with the connection, so a crashed runner never leaves it held.
    """
    taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
    connection.commit()
    return taken


def release_session_lock(connection: Connection, key: int) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    connection.commit()


def lock_sellers_facet_counts(connection, seller_ids: list[int]) -> None:
    """One recount of a seller's stored search facet counts at a time, sellers in id order (a psycopg connection).

    Two writers of one seller take turns until their commits, so the second
    recount sees both writes.
    """
    with connection.cursor() as cursor:
        for seller_id in sorted(seller_ids):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           (SEARCH_FACET_COUNTS_LOCK_CLASS, seller_id % INT4_KEYS))
