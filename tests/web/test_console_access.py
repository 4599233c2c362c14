"""Only operators open the console: buyers and sellers' members get a 403 page, visitors the login page."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from playwright.sync_api import expect

from marketplace.accounts.models import MemberRole
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in
from tests.web.console_support import as_operator, console_paths, failed_job
from workers.queues import get_queue


def test_a_logged_out_visitor_is_sent_to_the_login_page_from_every_console_page(app, client):
    paths = console_paths(app)
    assert "/console/jobs" in paths and "/console/tenants" in paths
    for path in paths:
        response = client.get(path)
        assert (response.status_code, response.headers["Location"]) == (302, f"/login?next={quote(path)}"), path


@pytest.mark.parametrize("member_role", [None, MemberRole.OWNER], ids=["buyer", "seller-owner"])
def test_buyers_and_sellers_members_get_a_403_page_on_every_console_page_and_change_nothing(
        app, page, account, make_seller, sql, member_role):
    user_id = account("pat@example.com")
    make_seller("acme-tools", {user_id: member_role} if member_role else {})
    job_id = failed_job(app)
    log_in(page, "pat@example.com")

    for path in console_paths(app):
        response = page.goto(path)
        assert response.status == 403, path
        assert page.get_by_role("heading", level=1).inner_text() == "You cannot open this page"
    token = page.locator("input[name=csrf_token]").first.input_value()  # the logout form's: a valid token
    for path in console_paths(app, "POST") + [f"/console/jobs/default/{job_id}/requeue"]:
        assert page.request.post(path, form={"csrf_token": token, "reason": "Because."}).status == 403, path
    assert sql("SELECT status FROM platform.tenants WHERE slug = 'acme-tools'") == [("active",)]
    with app.app_context():
        assert get_queue("default").failed_job_registry.get_job_ids() == [job_id]


def test_an_operator_sees_failed_jobs_with_their_error_and_requeues_one(app, page, account):
    job_id = failed_job(app)
    as_operator(page, account, "/console/jobs")

    row = page.get_by_role("row").filter(has_text=job_id)
    error = "ValueError: invalid literal for int() with base 10: 'not a number'"
    expect(row.get_by_role("cell", name=error)).to_be_visible()
    assert_accessible(page)
    row.get_by_role("button", name=f"Requeue {job_id}").click()
    expect(page.get_by_text(f"Job {job_id} is queued again on default.")).to_be_visible()
    expect(page.get_by_text("No failed job.")).to_be_visible()
    with app.app_context():
        queue = get_queue("default")
        assert job_id in queue.job_ids and queue.failed_job_registry.get_job_ids() == []
