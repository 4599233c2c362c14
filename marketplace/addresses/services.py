"""The address book: a buyer's shipping addresses and their default.

Rules: a buyer keeps at most MAX_ADDRESSES_PER_USER addresses; the first one
becomes the default; another becomes the default only when asked
(`make_default`); deleting the default promotes the newest remaining address,
so a buyer with addresses always has a default to ship to. Each write locks
the buyer's user row first (tenants/locks.py: a user, then what belongs to
it), so two requests of one buyer cannot both pass the limit or both make a
first default; the partial unique index is the database's own guard.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.addresses.models import MAX_ADDRESSES_PER_USER, Address
from marketplace.addresses.rules import checked_address
from marketplace.core.errors import Conflict, NotFound
from marketplace.core.field_updates import writable_changes
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.locks import lock_row
from tenants.uow import UnitOfWork

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
NEW_ADDRESS_DEFAULTS: dict[str, Any] = {"line2": "", "region": "", "postal_code": "", "phone": None}


class AddressNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("There is no address with this id in your address book.")


class AddressLimitReached(Conflict):
    code = "address_limit_reached"

    def __init__(self) -> None:
        super().__init__(f"An address book holds {MAX_ADDRESSES_PER_USER} addresses at most; delete one first.")


def list_addresses(user_id: int, page_request: PageRequest) -> Page[dict[str, Any]]:
    """The buyer's addresses: the default first, then the newest."""
    query = (select(Address).where(Address.user_id == user_id)
             .order_by(Address.is_default.desc(), Address.id.desc()))
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(_values)


def get_address(user_id: int, address_id: int) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return _values(_own_address(uow.session, user_id, address_id))


def add_address(user_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Add an address (the default if it is the first); AddressLimitReached past the limit."""
    address_fields = checked_address({**NEW_ADDRESS_DEFAULTS, **writable_changes(fields, ADDRESS_FIELDS)})
    with UnitOfWork() as uow:
        lock_row(uow.session, User, user_id)
        count = uow.session.scalar(select(func.count()).select_from(Address).where(Address.user_id == user_id))
        if count >= MAX_ADDRESSES_PER_USER:
            raise AddressLimitReached()
        address = Address(user_id=user_id, is_default=count == 0, **address_fields)
        uow.session.add(address)
        return _committed(uow, address)


def change_address(user_id: int, address_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some fields; the address as changed must fit its country's rules."""
    changes = writable_changes(changes, ADDRESS_FIELDS)
    with UnitOfWork() as uow:
        lock_row(uow.session, User, user_id)
        address = _own_address(uow.session, user_id, address_id)
        current = {name: getattr(address, name) for name in ADDRESS_FIELDS}
        for name, value in checked_address({**current, **changes}).items():
            setattr(address, name, value)
        return _committed(uow, address)


def make_default(user_id: int, address_id: int) -> dict[str, Any]:
    """Make this address the default shipping address (the previous default stops being one)."""
    with UnitOfWork() as uow:
        lock_row(uow.session, User, user_id)
        address = _own_address(uow.session, user_id, address_id)
        if not address.is_default:
            # The old default steps down before the new one steps up: the unique index checks each statement.
            uow.session.execute(update(Address).where(Address.user_id == user_id, Address.is_default)
                                .values(is_default=False))
            address.is_default = True
            return _committed(uow, address)


def delete_address(user_id: int, address_id: int) -> None:
    """Delete an address; if it was the default, the newest remaining address becomes the default."""
    with UnitOfWork() as uow:
        lock_row(uow.session, User, user_id)
        address = _own_address(uow.session, user_id, address_id)
        was_default = address.is_default
        uow.session.delete(address)
        uow.session.flush()
        if was_default:
            newest = uow.session.scalar(select(Address).where(Address.user_id == user_id)
                                        .order_by(Address.id.desc()).limit(1))
            if newest is not None:
                newest.is_default = True
        uow.commit()


def _committed(uow: UnitOfWork, address: Address) -> dict[str, Any]:
    uow.session.flush()
    uow.session.refresh(address)  # the database's clock set the timestamps
    values = _values(address)
    uow.commit()
    return values


def _values(address: Address) -> dict[str, Any]:
    return {column.key: getattr(address, column.key) for column in Address.__table__.columns}


def _own_address(session: Session, user_id: int, address_id: int) -> Address:
    # Another buyer's address is as absent as one that never existed.
    address = session.scalar(select(Address).where(Address.id == address_id, Address.user_id == user_id)
                             .execution_options(populate_existing=True))
    if address is None:
        raise AddressNotFound()
    return address
