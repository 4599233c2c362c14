"""Mailed one-time tokens: address verification, password reset and email change.

A request writes a `MailedToken` row and an outbox message with its id; the
job `send_mailed_token` mints the token, stores its SHA-256 and expiry, and
mails it, in one transaction (`mail_token`). The plain token exists only in
that job's memory and in the mail. Spending a token locks its row, so two
requests racing with one token cannot both succeed.

    unknown token 404 · spent 409 · replaced by a newer one or expired 410
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.mails import email_changed_notice, token_mail
from marketplace.accounts.models import ApiToken, MailedToken, MailedTokenPurpose, User
from marketplace.accounts.passwords import hash_password, verify_password
# The account look-ups of the accounts package, shared by its two service modules.
from marketplace.accounts.services import (
    WrongCurrentPassword, _get_user, _user_by_email, request_mailed_token,
)
from marketplace.accounts.tokens import new_token, token_digest
from marketplace.core.errors import ApiError, Conflict, NotFound, ValidationFailed
from tenants.locks import lock_first, lock_row
from marketplace.mail.delivery import deliver_once
from tenants.db import utcnow
from tenants.uow import UnitOfWork

EMAIL_CHANGED_NOTICE_JOB = "marketplace.accounts.jobs.send_email_changed_notice"


class TokenNotFound(NotFound):
    code = "token_not_found"

    def __init__(self) -> None:
        super().__init__("This token is unknown: copy it whole from the latest mail.")


class TokenUsed(Conflict):
    code = "token_used"

    def __init__(self) -> None:
        super().__init__("This token was already used.")


class TokenExpired(ApiError):
    status, code = 410, "token_expired"

    def __init__(self) -> None:
        super().__init__("This token has expired; ask for a new mail.")


class TokenReplaced(ApiError):
    status, code = 410, "token_replaced"

    def __init__(self) -> None:
        super().__init__("A newer mail replaced this token; use the latest one.")


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"

    def __init__(self) -> None:
        super().__init__("Your email address is already verified.")


class EmailTaken(Conflict):
    """Another account has the address already (the check before the mail; a race ends in integrity.py)."""

    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("An account with this email already exists.",
                         errors={"new_email": ["An account with this email already exists."]})


class SameEmail(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("This is already your email address.", errors={"new_email": ["Is your current address."]})


@dataclass(frozen=True)
class TokenLifetimes:
    """Seconds a freshly mailed token of each purpose stays usable."""

    email_verification_seconds: int
    password_reset_seconds: int

    @classmethod
    def from_config(cls, config: Mapping) -> "TokenLifetimes":
        return cls(email_verification_seconds=config["EMAIL_VERIFICATION_TTL_SECONDS"],
                   password_reset_seconds=config["PASSWORD_RESET_TTL_SECONDS"])

    def of(self, purpose: MailedTokenPurpose) -> timedelta:
        if purpose is MailedTokenPurpose.RESET_PASSWORD:
            return timedelta(seconds=self.password_reset_seconds)
        return timedelta(seconds=self.email_verification_seconds)


# Requests: each writes a request row; the job mails the token.

def request_email_verification(user_id: int) -> None:
    """Mail a new verification token to the account's address; the earlier ones stop working.

    Raises EmailAlreadyVerified if there is nothing to verify.
    """
    with UnitOfWork() as uow:
        user = _get_user(uow.session, user_id)
        if user.email_verified_at is not None:
            raise EmailAlreadyVerified()
        request_mailed_token(uow, user.id, MailedTokenPurpose.VERIFY_EMAIL, user.email)
        uow.commit()


def request_password_reset(email: str) -> None:
    """Mail a reset token if an active account has this address; say nothing either way.

    The caller answers alike whether or not the account exists, so the
    endpoint cannot be used to find out who has an account.
    """
    with UnitOfWork() as uow:
        user = _user_by_email(uow.session, email)
        if user is None or not user.is_active:
            return
        request_mailed_token(uow, user.id, MailedTokenPurpose.RESET_PASSWORD, user.email)
        uow.commit()


def request_email_change(user_id: int, current_password: str, new_email: str) -> None:
    """Mail a confirmation token to `new_email`; the address changes only once it is confirmed.

    Raises WrongCurrentPassword, SameEmail, or EmailTaken if another account has the address.
    """
    with UnitOfWork() as uow:
        checked_hash = _get_user(uow.session, user_id).password_hash
    if not verify_password(checked_hash, current_password):
        raise WrongCurrentPassword()
    with UnitOfWork() as uow:
        user = _get_user(uow.session, user_id)
        if user.email.lower() == new_email.lower():
            raise SameEmail()
        if _user_by_email(uow.session, new_email) is not None:
            raise EmailTaken()
        request_mailed_token(uow, user.id, MailedTokenPurpose.CHANGE_EMAIL, new_email)
        uow.commit()


# The job's part: mint, store the digest, mail.

def mail_token(mailed_token_id: int, lifetimes: TokenLifetimes) -> bool:
    """Mint the request's token and mail it; False, changing nothing, if mailed before or no longer due.

    No longer due: replaced or used, the account gone or disabled, or (for a
    verification) the address verified or changed meanwhile.
    """
    with UnitOfWork() as uow:
        request = lock_row(uow.session, MailedToken, mailed_token_id)
        if request is None or request.token_hash is not None or request.revoked_at or request.used_at:
            return False
        user = uow.session.get(User, request.user_id)
        if user is None or not user.is_active or not _still_due(request, user):
            return False
        token = new_token()
        request.token_hash = token_digest(token)
        request.expires_at = utcnow() + lifetimes.of(MailedTokenPurpose(request.purpose))
        mail = token_mail(MailedTokenPurpose(request.purpose), request.email, user.full_name or user.email,
                          token, request.expires_at)
        if not deliver_once(uow, f"mailed_token:{request.id}", mail):
            return False
        uow.commit()
    return True


def _still_due(request: MailedToken, user: User) -> bool:
    if request.purpose is MailedTokenPurpose.VERIFY_EMAIL:
        return user.email_verified_at is None and user.email.lower() == request.email.lower()
    return True


def mail_email_changed_notice(mailed_token_id: int, previous_email: str) -> bool:
    """Tell the previous address of a confirmed email change; False if told before."""
    with UnitOfWork() as uow:
        request = uow.session.get(MailedToken, mailed_token_id)
        if request is None or request.used_at is None:
            return False
        user = uow.session.get_one(User, request.user_id)
        mail = email_changed_notice(previous_email, user.full_name or user.email, request.email)
        sent = deliver_once(uow, f"email_changed:{request.id}", mail)
        uow.commit()
    return sent


# Spending tokens

def verify_email(token: str) -> None:
    """Mark the address the token was mailed to as verified."""
    with UnitOfWork() as uow:
        request, user = _spendable(uow.session, token, MailedTokenPurpose.VERIFY_EMAIL)
        if user.email.lower() != request.email.lower():
            raise TokenReplaced()  # the account moved to another address since this mail
        if user.email_verified_at is None:
            user.email_verified_at = func.now()
        request.used_at = utcnow()
        uow.commit()


def reset_password(token: str, new_password: str) -> None:
    """Set a new password with a reset token and sign the account out everywhere.

    Every bearer token of the account is revoked, and so is every other open
    reset token. The mail proved that its reader owns the address, so an
    unverified address counts as verified from now on.
    """
    with UnitOfWork() as uow:
        _spendable(uow.session, token, MailedTokenPurpose.RESET_PASSWORD)  # fail fast, before the slow hash
    new_hash = hash_password(new_password)
    with UnitOfWork() as uow:
        request, user = _spendable(uow.session, token, MailedTokenPurpose.RESET_PASSWORD)
        user.password_hash = new_hash
        user.password_changed_at = func.now()
        if user.email_verified_at is None and user.email.lower() == request.email.lower():
            user.email_verified_at = func.now()
        uow.session.execute(
            update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        _revoke_open(uow.session, user.id, MailedTokenPurpose.RESET_PASSWORD, except_id=request.id)
        request.used_at = utcnow()
        uow.commit()


def confirm_email_change(token: str) -> None:
    """Switch the account to the new, now verified, address and tell the previous one by mail.

    Another account taking the address meanwhile breaks the unique index on
    lower(email): a 409 email_taken from marketplace/core/integrity.py.
    """
    with UnitOfWork() as uow:
        request, user = _spendable(uow.session, token, MailedTokenPurpose.CHANGE_EMAIL)
        previous_email = user.email
        user.email = request.email
        user.email_verified_at = func.now()
        uow.session.flush()
        # Tokens mailed to the previous address must not verify it any more.
        _revoke_open(uow.session, user.id, MailedTokenPurpose.VERIFY_EMAIL)
        _revoke_open(uow.session, user.id, MailedTokenPurpose.CHANGE_EMAIL, except_id=request.id)
        request.used_at = utcnow()
        uow.add_message(EMAIL_CHANGED_NOTICE_JOB, {"mailed_token_id": request.id, "previous_email": previous_email})
        uow.commit()


def _spendable(session: Session, token: str, purpose: MailedTokenPurpose) -> tuple[MailedToken, User]:
    """The token's request and its account, both locked, if it may be spent now; else the error that says why not.

    The account is locked before the token (the order of tenants/locks.py):
    spending revokes the account's other tokens, so two spenders that each took
    their token first would each wait for the other's.
    """
    of_token = select(MailedToken).where(MailedToken.token_hash == token_digest(token), MailedToken.purpose == purpose)
    user_id = session.scalar(of_token.with_only_columns(MailedToken.user_id))
    user = lock_row(session, User, user_id) if user_id is not None else None
    request = lock_first(session, of_token) if user is not None else None
    if request is None:
        raise TokenNotFound()
    if request.used_at is not None:
        raise TokenUsed()
    if request.revoked_at is not None:
        raise TokenReplaced()
    if request.expires_at is None or request.expires_at <= utcnow():
        raise TokenExpired()
    return request, user


def _revoke_open(session: Session, user_id: int, purpose: MailedTokenPurpose, except_id: int | None = None) -> None:
    query = (update(MailedToken)
             .where(MailedToken.user_id == user_id, MailedToken.purpose == purpose,
                    MailedToken.used_at.is_(None), MailedToken.revoked_at.is_(None))
             .values(revoked_at=func.now()))
    if except_id is not None:
        query = query.where(MailedToken.id != except_id)
    session.execute(query)
