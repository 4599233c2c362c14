"""Account tables (shared schema)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps, checked_enum


class MemberRole(str, enum.Enum):
    """A member's role in a tenant; each role may do everything the roles below it may."""

    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"

    @property
    def rank(self) -> int:
        return _ROLE_RANKS[self]

    def includes(self, required: "MemberRole") -> bool:
        """True if this role may do what `required` may (owner ⊃ manager ⊃ staff)."""
        return self.rank >= required.rank


_ROLE_RANKS = {MemberRole.STAFF: 1, MemberRole.MANAGER: 2, MemberRole.OWNER: 3}


class User(Timestamps, SharedBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Stored as given; uniqueness and look-ups use lower(email).
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the owner of `email` proved they read it (a mailed token); None until then and after a change.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("uq_users_email_lower", func.lower(email), unique=True),)


class Membership(Timestamps, SharedBase):
    """A user's role in one tenant."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(
        checked_enum(MemberRole, "member_role"),
    )

    __table_args__ = (UniqueConstraint("user_id", "tenant_id"),)


class ApiToken(SharedBase):
    """A bearer token. Only its SHA-256 is stored: a database leak yields no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # The hourly purge finds ended tokens by these, without reading the whole table.
        Index("ix_api_tokens_expires_at", "expires_at"),
        Index("ix_api_tokens_revoked_at", "revoked_at", postgresql_where=text("revoked_at IS NOT NULL")),
    )


class MailedTokenPurpose(str, enum.Enum):
    """What a mailed one-time token proves or allows."""

    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"
    RESET_PASSWORD = "reset_password"


class MailedToken(SharedBase):
    """A one-time token mailed to `email`: a request row first, its token minted by the job that mails it.

    The request carries no secret, so its outbox message holds only this
    row's id; the job mints the token, stores its SHA-256 here with its
    expiry and sends the mail, in one transaction. A token is spent once
    (`used_at`) and dies when a newer one of the same purpose is asked for
    (`revoked_at`).
    """

    __tablename__ = "mailed_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[MailedTokenPurpose] = mapped_column(checked_enum(MailedTokenPurpose, "mailed_token_purpose"))
    # The address mailed: the one to verify, the new one of an email change, the account's for a reset.
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
