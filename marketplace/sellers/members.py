"""Member use cases: listing members, invites by email, accepting them, changing roles, removing members.

Who may do what: owners invite with any role and change or remove members;
managers invite staff only; staff manage nobody. A tenant always keeps at
least one owner: the memberships of the tenant are locked (in id order)
before the last owner could be demoted or removed, so two concurrent
requests cannot each remove "the other" owner.

Invites go out by mail only: the job that mails an invite mints its token
and stores only its SHA-256, so the token is in no API answer, outbox row,
job argument, notification or log. Accepting also needs the invitee's own
signed-in account with that address verified, so neither a token alone nor an
account registered first under someone else's address grants anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import MemberRole, Membership, User
from marketplace.accounts.services import TenantMembership
from marketplace.accounts.tenant_access import ensure_member_access
from marketplace.accounts.tokens import new_token, token_digest
from marketplace.audit.services import record
from marketplace.core.errors import ApiError, Conflict, Forbidden, NotFound
from tenants.locks import lock_first, lock_row, lock_rows_in_id_order
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.mail.delivery import deliver_once
from marketplace.sellers.mails import invite_mail
from marketplace.sellers.models import MemberInvite
from tenants.db import utcnow
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.uow import UnitOfWork

INVITE_TTL = timedelta(days=7)
INVITE_MAIL_JOB = "marketplace.sellers.jobs.send_member_invite"


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    full_name: str
    role: MemberRole
    member_since: datetime


class RoleNotGrantable(Forbidden):
    def __init__(self, role: MemberRole):
        super().__init__(f"Only owners may invite a {role.value} or withdraw such an invite; managers handle staff.")


class AlreadyMember(Conflict):
    code = "already_member"

    def __init__(self) -> None:
        super().__init__("This person is already a member of the seller.")


class InviteNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("There is no such invite.")


class InviteExpired(ApiError):
    status, code = 410, "invite_expired"

    def __init__(self) -> None:
        super().__init__("This invite has expired; ask for a new one.")


class InviteRevoked(ApiError):
    status, code = 410, "invite_revoked"

    def __init__(self) -> None:
        super().__init__("This invite was withdrawn; ask for a new one.")


class InviteUsed(Conflict):
    code = "invite_used"

    def __init__(self) -> None:
        super().__init__("This invite was already accepted.")


class InviteForSomeoneElse(Forbidden):
    code = "invite_email_mismatch"

    def __init__(self) -> None:
        super().__init__("This invite was sent to another email address; sign in with that account to accept it.")


class MemberNotFound(NotFound):
    def __init__(self, user_id: int):
        super().__init__(f"User {user_id} is not a member of this seller.")


class LastOwner(Conflict):
    code = "last_owner"

    def __init__(self) -> None:
        super().__init__("A seller needs at least one owner: make someone else owner first.")


@dataclass(frozen=True)
class InviteView:
    id: int
    email: str
    role: MemberRole
    status: str
    invited_by_user_id: int | None
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, invite: MemberInvite) -> "InviteView":
        return cls(id=invite.id, email=invite.email, role=MemberRole(invite.role), status=_invite_status(invite),
                   invited_by_user_id=invite.invited_by_user_id, created_at=invite.created_at,
                   expires_at=invite.expires_at)


# Invites

def invite_member(tenant: TenantRef, inviter_user_id: int, email: str, role: MemberRole) -> InviteView:
    """Invite `email` to join with `role`; a job mails the invitee the invite's token.

    A new invite replaces any open one for the same address.
    """
    with UnitOfWork(on_behalf_of=tenant) as uow:
        _ensure_may_grant(uow.session, tenant.id, inviter_user_id, role)
        if _membership_by_email(uow.session, tenant.id, email) is not None:
            raise AlreadyMember()
        uow.session.execute(
            update(MemberInvite)
            .where(MemberInvite.tenant_id == tenant.id, func.lower(MemberInvite.email) == email.lower(),
                   MemberInvite.accepted_at.is_(None), MemberInvite.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        invite = MemberInvite(tenant_id=tenant.id, email=email, role=role, invited_by_user_id=inviter_user_id,
                              expires_at=utcnow() + INVITE_TTL)
        uow.session.add(invite)
        uow.session.flush()
        # Only the id: the job mints the token, so it never travels through the outbox or Redis.
        uow.add_message(INVITE_MAIL_JOB, {"invite_id": invite.id})
        record(uow, actor_user_id=inviter_user_id, action="member_invite.create", target_type="member_invite",
               target_id=invite.id, tenant_id=tenant.id, after={"email": email, "role": role.value})
        issued = InviteView.of(invite)
        uow.commit()
    return issued


def list_invites(tenant: TenantRef, page_request: PageRequest) -> Page[InviteView]:
    """The tenant's invites, newest first, each with its status."""
    query = select(MemberInvite).where(MemberInvite.tenant_id == tenant.id).order_by(MemberInvite.id.desc())
    with UnitOfWork(on_behalf_of=tenant) as uow:
        return fetch_page(uow.session, query, page_request).map(InviteView.of)


def revoke_invite(tenant: TenantRef, actor_user_id: int, invite_id: int) -> None:
    """Withdraw an open invite (again is fine); an accepted one is a 409."""
    with UnitOfWork(on_behalf_of=tenant) as uow:
        invite = lock_first(uow.session, select(MemberInvite).where(MemberInvite.id == invite_id,
                                                                    MemberInvite.tenant_id == tenant.id))
        if invite is None:
            raise InviteNotFound()
        _ensure_may_grant(uow.session, tenant.id, actor_user_id, MemberRole(invite.role))
        if invite.accepted_at is not None:
            raise InviteUsed()
        if invite.revoked_at is None:
            invite.revoked_at = utcnow()
            record(uow, actor_user_id=actor_user_id, action="member_invite.revoke", target_type="member_invite",
                   target_id=invite.id, tenant_id=tenant.id, before={"status": "open"},
                   after={"status": "revoked"})
        uow.commit()


def accept_invite(token: str, user_id: int) -> TenantMembership:
    """Join the invite's tenant with its role, as the signed-in user the invite was sent to.

    The caller's address must be verified (the view checks it). Unknown token
    404; sent to another address 403; accepted before 409; revoked or expired
    410; a suspended or closed seller 403.
    """
    with UnitOfWork() as uow:
        invite = lock_first(uow.session, select(MemberInvite).where(MemberInvite.token_hash == token_digest(token)))
        if invite is None:
            raise InviteNotFound()
        user = uow.session.get_one(User, user_id)
        if user.email.lower() != invite.email.lower():
            raise InviteForSomeoneElse()
        _ensure_open(invite)
        tenant = uow.session.get_one(Tenant, invite.tenant_id)
        ensure_member_access(TenantStatus(tenant.status), writing=True)
        if _role_of(uow.session, tenant.id, user_id) is not None:
            raise AlreadyMember()
        role = MemberRole(invite.role)
        uow.session.add(Membership(user_id=user_id, tenant_id=tenant.id, role=role))
        invite.accepted_at = utcnow()
        record(uow, actor_user_id=user_id, action="member_invite.accept", target_type="member_invite",
               target_id=invite.id, tenant_id=tenant.id, before={"status": "open"},
               after={"status": "accepted", "user_id": user_id, "role": role.value})
        membership = TenantMembership(slug=tenant.slug, display_name=tenant.display_name, role=role)
        uow.commit()
    return membership


def mail_invite(invite_id: int) -> bool:
    """Mint the invite's token and mail it to the invitee; False, changing nothing, if mailed before or closed."""
    with UnitOfWork() as uow:
        invite = lock_row(uow.session, MemberInvite, invite_id)
        if invite is None or invite.token_hash is not None or _invite_status(invite) != "open":
            return False
        tenant = uow.session.get_one(Tenant, invite.tenant_id)
        token = new_token()
        invite.token_hash = token_digest(token)
        mail = invite_mail(invite.email, tenant.display_name, MemberRole(invite.role), token, invite.expires_at)
        if not deliver_once(uow, f"member_invite:{invite.id}", mail):
            return False
        uow.commit()
    return True


def _invite_status(invite: MemberInvite) -> str:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= utcnow():
        return "expired"
    return "open"


def _ensure_open(invite: MemberInvite) -> None:
    status = _invite_status(invite)
    if status == "accepted":
        raise InviteUsed()
    if status == "revoked":
        raise InviteRevoked()
    if status == "expired":
        raise InviteExpired()


def _ensure_may_grant(session: Session, tenant_id: int, actor_user_id: int, role: MemberRole) -> None:
    actor_role = _role_of(session, tenant_id, actor_user_id)
    may_grant = actor_role is MemberRole.OWNER or (actor_role is MemberRole.MANAGER and role is MemberRole.STAFF)
    if not may_grant:
        raise RoleNotGrantable(role)


# Members

def list_members(tenant_id: int, page_request: PageRequest) -> Page[Member]:
    """A tenant's members, owners first, then managers, then staff; by email within a role."""
    role_rank = case({role: role.rank for role in MemberRole}, value=Membership.role)
    query = (
        select(User.id, User.email, User.full_name, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(role_rank.desc(), func.lower(User.email), User.id)
    )
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(lambda row: Member(*row))


def change_member_role(tenant: TenantRef, actor_user_id: int, user_id: int, role: MemberRole) -> Member:
    """Give a member another role; demoting the last owner is a 409."""
    with UnitOfWork(on_behalf_of=tenant) as uow:
        memberships = _lock_memberships(uow.session, tenant.id)
        membership = _find_member(memberships, user_id)
        previous_role = MemberRole(membership.role)
        if previous_role is MemberRole.OWNER and role is not MemberRole.OWNER:
            _ensure_another_owner(memberships)
        membership.role = role
        record(uow, actor_user_id=actor_user_id, action="membership.change_role", target_type="membership",
               target_id=membership.id, tenant_id=tenant.id,
               before={"user_id": user_id, "role": previous_role.value}, after={"user_id": user_id, "role": role.value})
        uow.session.flush()
        member = _member(uow.session, membership)
        uow.commit()
    return member


def remove_member(tenant: TenantRef, actor_user_id: int, user_id: int) -> None:
    """Take a member out of the tenant; removing the last owner is a 409."""
    with UnitOfWork(on_behalf_of=tenant) as uow:
        memberships = _lock_memberships(uow.session, tenant.id)
        membership = _find_member(memberships, user_id)
        if membership.role is MemberRole.OWNER:
            _ensure_another_owner(memberships)
        uow.session.delete(membership)
        record(uow, actor_user_id=actor_user_id, action="membership.remove", target_type="membership",
               target_id=membership.id, tenant_id=tenant.id,
               before={"user_id": user_id, "role": MemberRole(membership.role).value}, after=None)
        uow.commit()


def _lock_memberships(session: Session, tenant_id: int) -> list[Membership]:
    return lock_rows_in_id_order(session, Membership, Membership.tenant_id == tenant_id)


def _find_member(memberships: list[Membership], user_id: int) -> Membership:
    membership = next((membership for membership in memberships if membership.user_id == user_id), None)
    if membership is None:
        raise MemberNotFound(user_id)
    return membership


def _ensure_another_owner(memberships: list[Membership]) -> None:
    if sum(1 for membership in memberships if membership.role is MemberRole.OWNER) < 2:
        raise LastOwner()


def _member(session: Session, membership: Membership) -> Member:
    user = session.get_one(User, membership.user_id)
    return Member(user_id=user.id, email=user.email, full_name=user.full_name, role=MemberRole(membership.role),
                  member_since=membership.created_at)


def _role_of(session: Session, tenant_id: int, user_id: int) -> MemberRole | None:
    return session.scalar(
        select(Membership.role).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )


def _membership_by_email(session: Session, tenant_id: int, email: str) -> Membership | None:
    return session.scalar(
        select(Membership).join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    )
