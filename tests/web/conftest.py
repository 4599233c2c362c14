"""Page tests in a real browser against the app served on loopback.

`live_server` serves the session's test app from a thread (the same
databases, Redis and mail as the other tests); `browser` is one headless
Chromium for the session; `page` is a fresh browser context per test (no
cookies from another test) whose last page is saved under var/screenshots/.
"""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from marketplace.accounts import services
from tests.conftest import PASSWORD
from tests.web.browser import DESKTOP, launch, screenshot



@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    browser_page = context.new_page()
    yield browser_page
    try:
        screenshot(browser_page, request.node.name)
    finally:
        context.close()


@pytest.fixture
def account(app):
    """Make a verified account directly through the accounts service: account("a@example.com") -> user id."""

    def make(email: str, full_name: str = "Pat Page", operator: bool = False) -> int:
        with app.app_context():
            if operator:
                made, _ = services.make_operator(email, PASSWORD, full_name)
            else:
                made = services.register_user(email, PASSWORD, full_name)
                services.mark_email_verified(made.id)
        return made.id

    return make


def client_logged_in(client, email: str, password: str = PASSWORD) -> str:
    """Log the Flask test client's page session in as `email` through the login form; the session's CSRF token."""
    client.post("/login", data={"csrf_token": csrf_token_of(client), "email": email, "password": password})
    return csrf_token_of(client)


def csrf_token_of(client) -> str:
    """The CSRF token of the test client's page session (its forms carry it)."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def log_in(page, email: str, password: str = PASSWORD, next_path: str | None = None) -> None:
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
