"""Seller tables (shared schema): applications, invites and exports."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.accounts.models import MemberRole
from tenants.db import SharedBase, Timestamps, checked_enum


class ApplicationStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SellerApplication(Timestamps, SharedBase):
    """A user's request to open a shop; approval provisions the tenant."""

    __tablename__ = "seller_applications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    applicant_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shop_name: Mapped[str] = mapped_column(String(120))
    wanted_slug: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        checked_enum(ApplicationStatus, "application_status"),
        default=ApplicationStatus.PENDING, server_default=ApplicationStatus.PENDING.value,
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))

    __table_args__ = (
        # Two pending applications may not want the same slug.
        Index("uq_seller_applications_pending_slug", "wanted_slug", unique=True,
              postgresql_where=text("status = 'pending'")),
    )


class MemberInvite(SharedBase):
    """An invitation to join a tenant with a role.

    The token is minted by the job that mails it (`token_hash` is None until
    then), and only its SHA-256 is stored.
    """

    __tablename__ = "member_invites"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[MemberRole] = mapped_column(
        checked_enum(MemberRole, "invite_role"),
    )
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantExport(SharedBase):
    """A job's export of a closed tenant's data; `path` is set once its files are written."""

    __tablename__ = "tenant_exports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The folder holding the JSON and CSV files, e.g. var/exports/acme/20260101T120000Z.
    path: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
