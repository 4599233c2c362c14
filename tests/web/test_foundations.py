"""What every page shares: login, logout, CSRF, the session cookie, security headers, error pages, formatting."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from marketplace.app import create_app
from marketplace.web.auth import safe_next
from marketplace.web.formatting import local_datetime, money
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in


def test_a_wrong_password_is_answered_beside_the_form_and_the_right_one_logs_in(page, account):
    account("pat@example.com")
    log_in(page, "pat@example.com", "not the password")
    assert page.get_by_role("alert").inner_text() == "The email or password is wrong."
    assert page.get_by_label("Email").input_value() == "pat@example.com"

    log_in(page, "pat@example.com", next_path="/portal")
    assert page.url.endswith("/portal")
    assert page.get_by_text("You are logged in.").is_visible()
    assert page.get_by_text("pat@example.com").is_visible()

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_text("You are logged out.").is_visible()
    page.goto("/portal")
    assert "/login" in page.url  # the login ended with the page session: the portal asks again


def test_an_address_on_a_special_use_domain_logs_in_as_the_api_lets_it(page, account):
    account("owner@shop.demo.test")  # the demo's logins are on .test, which the API accepts
    log_in(page, "Owner@Shop.Demo.TEST", next_path="/portal")
    assert page.url.endswith("/portal")
    assert page.get_by_text("owner@shop.demo.test").is_visible()


def test_an_empty_login_form_names_each_missing_field(page):
    page.goto("/login")
    page.get_by_role("button", name="Log in").click()
    assert page.locator("#email-errors").inner_text() == "This field is required."
    assert page.locator("#password-errors").inner_text() == "This field is required."


def test_registering_logs_the_new_buyer_in_and_a_taken_email_is_refused_beside_its_field(page, account):
    account("taken@example.com")
    page.goto("/register")
    page.get_by_label("Full name").fill("Nia New")
    page.get_by_label("Email").fill("Taken@Example.com")
    page.get_by_label("Password").fill("long enough password")
    page.get_by_role("button", name="Create account").click()
    assert page.locator("#email-errors").inner_text() == "An account with this email exists: log in instead."

    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password").fill("long enough password")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("Welcome!").is_visible()
    assert page.get_by_text("nia@example.com").is_visible()


def test_a_form_posted_without_its_csrf_token_is_refused_and_logs_nobody_in(page, account):
    account("pat@example.com")
    page.goto("/login")
    page.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Email").fill("pat@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("heading", level=1).inner_text() == "That request could not be used"
    assert page.get_by_text("This form has expired or did not come from this site").is_visible()
    page.goto("/portal")
    assert "/login" in page.url


def test_a_cross_site_post_with_the_session_cookie_but_no_token_is_refused(client, app, account):
    account("pat@example.com")
    client.get("/login")  # the session cookie, with its CSRF secret
    response = client.post("/logout")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_the_session_cookie_is_http_only_same_site_and_secure(page, account):
    account("pat@example.com")
    log_in(page, "pat@example.com")
    cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == "marketplace_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"


def test_pages_carry_the_security_headers_and_the_api_stays_cookie_free(client):
    page_response = client.get("/login")
    policy = page_response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page_response.headers["X-Frame-Options"] == "DENY"
    assert page_response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" in page_response.headers

    api_response = client.get("/api/v1/categories")
    assert "Set-Cookie" not in api_response.headers
    assert "Content-Security-Policy" not in api_response.headers


def test_an_unknown_page_is_a_404_page_in_the_site_look_and_the_api_keeps_json(page, client):
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.get_by_role("link", name="Back to the marketplace").is_visible()
    assert client.get("/api/v1/no/such/thing").mimetype == "application/json"


def test_a_page_that_fails_is_a_500_page_without_internals(app):
    failing_app = create_app({**{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL")},
                              "LOG_LEVEL": "CRITICAL"})

    @failing_app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = failing_app.test_client().get("/explode")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "secret internals" not in response.get_data(as_text=True)


def test_the_console_is_refused_to_a_buyer_with_a_403_page(page, account):
    account("pat@example.com")
    log_in(page, "pat@example.com", next_path="/console")
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot open this page"


@pytest.mark.parametrize("target, expected", [
    ("/portal/acme/orders?page=2", "/portal/acme/orders?page=2"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    (None, "/"),
])
def test_after_login_only_a_path_of_this_site_is_followed(target, expected):
    assert safe_next(target) == expected


def test_prices_follow_their_currency_and_times_the_viewer_zone(app):
    assert money(123456, "USD") == "$1,234.56"
    assert money(1500, "JPY") == "¥1,500"
    assert money(-250, "EUR") == "-€2.50"
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    with app.test_request_context("/", headers={"Cookie": "tz=America/New_York"}):
        assert local_datetime(moment) == "Jul 1, 2026, 8:00:00\u202fAM"
    with app.test_request_context("/", headers={"Cookie": "tz=Not/AZone"}):
        assert local_datetime(moment) == "Jul 1, 2026, 12:00:00\u202fPM"


@pytest.mark.parametrize("path", ["/login", "/register", "/no/such/page"])
def test_the_shared_pages_pass_axe_at_phone_and_desktop_width(page, path):
    page.goto(path)
    assert_accessible(page)


def test_a_form_with_errors_passes_axe(page):
    page.goto("/login")
    page.get_by_role("button", name="Log in").click()
    assert_accessible(page)
