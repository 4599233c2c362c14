"""Helpers of the portal's page tests: sellers with members made through the services, a logged-in seller page."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole
from tests.web.conftest import log_in


def seller_with_member(make_seller, account, slug: str, email: str, role: MemberRole = MemberRole.OWNER):
    """A provisioned seller with one member (a verified account with the test password): the TenantRef."""
    return make_seller(slug, {account(email): role})


def open_portal(page, email: str, path: str) -> None:
    """Log `email` in and open `path` of the portal."""
    log_in(page, email, next_path=path)
    page.wait_for_load_state()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()
