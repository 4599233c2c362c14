"""Account use cases: registration, tokens, the profile, passwords, operators and memberships.

Every function takes plain values, runs its own unit of work and returns
frozen dataclasses that outlive the session. Password hashing is slow on
purpose (argon2id), so it runs outside any transaction: a login reads the
hash, verifies it with no connection held, then writes in a short second
transaction that first checks the hash is still the one verified.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import ApiToken, MailedToken, MailedTokenPurpose, MemberRole, Membership, User
from marketplace.accounts.passwords import hash_password, needs_rehash, verify_password
from marketplace.accounts.tokens import TOKEN_TYPE, new_token, token_digest
from marketplace.cart import services as cart
from marketplace.core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from tenants.locks import lock_first
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.db import utcnow
from tenants.models import Tenant
from tenants.uow import UnitOfWork, delete_in_batches

WELCOME_JOB = "marketplace.notifications.jobs.send_welcome"
MAILED_TOKEN_JOB = "marketplace.accounts.jobs.send_mailed_token"
# Tokens deleted per transaction by the purge: a large backlog never holds one long transaction.
TOKEN_PURGE_BATCH_SIZE = 5000


class InvalidCredentials(Unauthorized):
    """Wrong password, unknown or disabled account: one answer for all, so emails cannot be probed."""

    def __init__(self) -> None:
        super().__init__("The email or password is wrong.")


class InvalidToken(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The bearer token is unknown, expired or revoked.",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class WrongCurrentPassword(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("The current password is wrong.",
                         errors={"current_password": ["Does not match your password."]})


class AccountNotFound(NotFound):
    def __init__(self, user_id: int):
        super().__init__("The account no longer exists.")
        self.user_id = user_id


class EmailNotVerified(Forbidden):
    code = "email_not_verified"

    def __init__(self) -> None:
        super().__init__("Verify your email address first: use the token we mailed you "
                         "(POST /auth/email-verification), or ask for a new mail (POST /me/email-verification).")


class PasswordRequired(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("A new account needs a password.", errors={"password": ["Missing data for required field."]})


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    full_name: str
    is_operator: bool
    email_verified_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> "Account":
        return cls(id=user.id, email=user.email, full_name=user.full_name, is_operator=user.is_operator,
                   email_verified_at=user.email_verified_at, created_at=user.created_at)


@dataclass(frozen=True)
class TenantMembership:
    slug: str
    display_name: str
    role: MemberRole


@dataclass(frozen=True)
class Profile(Account):
    memberships: tuple[TenantMembership, ...]


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime
    token_type: str = TOKEN_TYPE
    # What became of the guest cart sent with the login (marketplace.cart.services.merge_guest_cart).
    cart_merge: dict | None = None


@dataclass(frozen=True)
class Principal:
    """Who presented a valid token: what permission checks and logs need."""

    user_id: int
    token_id: int
    email: str
    is_operator: bool
    email_verified: bool


# Registration and operators

def register_user(email: str, password: str, full_name: str) -> Account:
    """Create a buyer account and queue its welcome notification and its address verification mail.

    An email in use in any letter case breaks the unique index on lower(email),
    which marketplace/core/integrity.py answers 409 email_taken; the index decides,
    so two concurrent sign-ups cannot both win.
    """
    password_hash = hash_password(password)
    with UnitOfWork() as uow:
        user = _create_user(uow, email, password_hash, full_name)
        account = Account.of(user)
        uow.commit()
    return account


def find_account(email: str) -> Account | None:
    with UnitOfWork() as uow:
        user = _user_by_email(uow.session, email)
        return Account.of(user) if user else None


def make_operator(email: str, password: str | None, full_name: str = "") -> tuple[Account, bool]:
    """Create an operator account, or promote the existing account with this email.

    An existing account keeps its password and name. Returns the account and
    whether it was created.
    """
    password_hash = hash_password(password) if password else None
    with UnitOfWork() as uow:
        user = _user_by_email(uow.session, email)
        created = user is None
        if created:
            if password_hash is None:
                raise PasswordRequired()
            user = _create_user(uow, email, password_hash, full_name)
        user.is_operator = True
        uow.session.flush()
        account = Account.of(user)
        uow.commit()
    return account, created


def _create_user(uow: UnitOfWork, email: str, password_hash: str, full_name: str) -> User:
    user = User(email=email, password_hash=password_hash, full_name=full_name)
    uow.session.add(user)
    uow.session.flush()
    uow.add_message(WELCOME_JOB, {"user_id": user.id}, queue="default")
    request_mailed_token(uow, user.id, MailedTokenPurpose.VERIFY_EMAIL, user.email)
    return user


def mark_email_verified(user_id: int) -> None:
    """Record the account's address as verified without a mailed token.

    For addresses known good by other means only: the demo seed's accounts
    and test fixtures. Everyone else proves their address with a token.
    """
    with UnitOfWork() as uow:
        user = _get_user(uow.session, user_id)
        if user.email_verified_at is None:
            user.email_verified_at = func.now()
        uow.commit()


def request_mailed_token(uow: UnitOfWork, user_id: int, purpose: MailedTokenPurpose, email: str) -> MailedToken:
    """Ask for a one-time token of `purpose` to be mailed to `email`; older open ones of that purpose die.

    The outbox message holds only the request's id: the job mints the token,
    so it never travels through the outbox, Redis or a log.
    """
    uow.session.execute(
        update(MailedToken)
        .where(MailedToken.user_id == user_id, MailedToken.purpose == purpose,
               MailedToken.used_at.is_(None), MailedToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    request = MailedToken(user_id=user_id, purpose=purpose, email=email)
    uow.session.add(request)
    uow.session.flush()
    uow.add_message(MAILED_TOKEN_JOB, {"mailed_token_id": request.id})
    return request


# Tokens

def issue_token(email: str, password: str, ttl_seconds: int, guest_cart_token: str | None = None) -> IssuedToken:
    """Log in: a new bearer token for the right email and password, else InvalidCredentials.

    A hash made with older argon2 parameters is replaced by one with today's.
    The guest cart of `guest_cart_token`, if there is one, merges into the
    user's cart in the same transaction as the token is made.
    """
    with UnitOfWork() as uow:
        user = _user_by_email(uow.session, email)
        user_id, checked_hash = (user.id, user.password_hash) if user and user.is_active else (None, None)
    if not verify_password(checked_hash, password):
        raise InvalidCredentials()
    fresh_hash = hash_password(password) if needs_rehash(checked_hash) else None
    # Read only once the password is right: the sellers' stock lives in other databases, read before the write.
    guest_cart = cart.read_guest_cart(guest_cart_token) if guest_cart_token else None
    with UnitOfWork() as uow:
        user = _lock_user_with_hash(uow.session, user_id, checked_hash)
        if user is None or not user.is_active:
            raise InvalidCredentials()
        if fresh_hash:
            user.password_hash = fresh_hash
        issued = _add_token(uow.session, user_id, ttl_seconds)
        if guest_cart is not None:
            issued = replace(issued, cart_merge=cart.merge_guest_cart(uow.session, user_id, guest_cart))
        uow.commit()
    return issued


def authenticate_token(token: str) -> Principal:
    """The principal of a live token (not expired, not revoked, account active), else InvalidToken."""
    query = (
        select(ApiToken.id, User.id, User.email, User.is_operator, User.email_verified_at.is_not(None))
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > func.now(), User.is_active.is_(True))
    )
    with UnitOfWork() as uow:
        row = uow.session.execute(query).one_or_none()
    if row is None:
        raise InvalidToken()
    token_id, user_id, email, is_operator, email_verified = row
    return Principal(user_id=user_id, token_id=token_id, email=email, is_operator=is_operator,
                     email_verified=email_verified)


def revoke_token(token_id: int) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)).values(revoked_at=func.now())
        )
        uow.commit()


def purge_stale_tokens(retention_days: int, batch_size: int = TOKEN_PURGE_BATCH_SIZE) -> int:
    """Delete the tokens that expired or were revoked more than `retention_days` ago; return how many.

    Recently ended tokens stay, for audit and debugging. Deletes in batches,
    one transaction each, until a batch comes back short; running it again
    deletes nothing more. Rows another purge holds are skipped, not waited for.
    """
    ended_before = func.now() - timedelta(days=retention_days)
    return delete_in_batches(ApiToken, or_(ApiToken.expires_at < ended_before, ApiToken.revoked_at < ended_before),
                             batch_size)


def _add_token(session: Session, user_id: int, ttl_seconds: int) -> IssuedToken:
    token = new_token()
    expires_at = utcnow() + timedelta(seconds=ttl_seconds)
    session.add(ApiToken(user_id=user_id, token_hash=token_digest(token), expires_at=expires_at))
    return IssuedToken(access_token=token, expires_at=expires_at)


# The profile and the password

def get_profile(user_id: int) -> Profile:
    with UnitOfWork() as uow:
        return _profile(uow.session, _get_user(uow.session, user_id))


def update_profile(user_id: int, full_name: str) -> Profile:
    with UnitOfWork() as uow:
        user = _get_user(uow.session, user_id)
        user.full_name = full_name
        uow.session.flush()
        profile = _profile(uow.session, user)
        uow.commit()
    return profile


def change_password(user_id: int, current_token_id: int, current_password: str, new_password: str) -> None:
    """Set a new password and revoke every token of the account but the one in use.

    Raises WrongCurrentPassword if `current_password` is not the password.
    """
    with UnitOfWork() as uow:
        checked_hash = _get_user(uow.session, user_id).password_hash
    if not verify_password(checked_hash, current_password):
        raise WrongCurrentPassword()
    new_hash = hash_password(new_password)
    with UnitOfWork() as uow:
        user = _lock_user_with_hash(uow.session, user_id, checked_hash)
        if user is None:
            raise WrongCurrentPassword()
        user.password_hash = new_hash
        user.password_changed_at = func.now()
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.id != current_token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        uow.commit()


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AccountNotFound(user_id)
    return user


def _profile(session: Session, user: User) -> Profile:
    rows = session.execute(
        select(Tenant.slug, Tenant.display_name, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id)
        .order_by(Tenant.slug)
    ).all()
    memberships = tuple(TenantMembership(slug=slug, display_name=name, role=role) for slug, name, role in rows)
    return Profile(**asdict(Account.of(user)), memberships=memberships)


# Look-ups for operators and permission checks

def list_users(page_request: PageRequest, email_contains: str | None = None) -> Page[Account]:
    """Every account, oldest first, optionally only those whose email contains a text (any case)."""
    query: Select = select(User).order_by(User.id)
    if email_contains:
        query = query.where(User.email.icontains(email_contains, autoescape=True))
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(Account.of)


def role_in_tenant(user_id: int, tenant_id: int) -> MemberRole | None:
    with UnitOfWork() as uow:
        return uow.session.scalar(
            select(Membership.role).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
        )


def _user_by_email(session: Session, email: str) -> User | None:
    # Matches the unique index on lower(email), which also serves this look-up.
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def _lock_user_with_hash(session: Session, user_id: int | None, password_hash: str | None) -> User | None:
    """The user, locked, if the password hash is still the one just verified (no change in between)."""
    return lock_first(session, select(User).where(User.id == user_id, User.password_hash == password_hash))
