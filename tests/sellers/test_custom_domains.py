"""Custom domains are proved, not claimed: pending until a TXT record or the well-known URL holds their token.

The checks are real: a DNS server and a web server on loopback ports stand
for the seller's DNS and site, and the jobs run as the worker runs them.
"""
from __future__ import annotations

import socket
import time
from contextlib import closing

import pytest

from marketplace.accounts.models import MemberRole
from tests.sellers.loopback import WebSite, Zone
from workers.scheduler import build_scheduler

SETTINGS = "/api/v1/sellers/acme-tools/settings"
DOMAIN = "/api/v1/sellers/acme-tools/domain"
CHECKS = "/api/v1/sellers/acme-tools/domain/checks"
HOSTNAME = "shop.acme.test"


@pytest.fixture
def zone(app, monkeypatch):
    """The DNS of the seller's domain, on a loopback port the checks ask."""
    server = Zone().start()
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_NAMESERVERS", (("127.0.0.1", server.port),))
    yield server
    server.stop()


@pytest.fixture
def site(app, monkeypatch, zone):
    """The seller's web site at shop.acme.test (an A record to 127.0.0.1), on a loopback port."""
    server = WebSite().start()
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_HTTP_PORT", server.port)
    zone.records[(HOSTNAME, "A")] = ["127.0.0.1"]
    yield server
    server.stop()


def claim(client, team, hostname: str = HOSTNAME) -> dict:
    assert client.patch(SETTINGS, json={"custom_domain": hostname}, headers=team.owner.headers).status_code == 200
    return client.get(DOMAIN, headers=team.owner.headers).get_json()


def storefront_on(client, hostname: str):
    return client.get("/api/v1/storefront", headers={"Host": hostname})


def test_a_claimed_domain_is_pending_with_its_proof_instructions_and_serves_nothing(client, team, zone, jobs):
    domain = claim(client, team)
    jobs()

    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    token = domain["verification_token"]
    assert domain["status"] == "pending"
    assert domain["proof_instructions"] == {
        "dns": {"type": "TXT", "name": f"_marketplace-challenge.{HOSTNAME}", "value": token},
        "http": {"url": f"http://{HOSTNAME}/.well-known/marketplace-verification/{token}", "body": token},
    }
    assert domain["last_check_result"].startswith(f"No TXT record _marketplace-challenge.{HOSTNAME}.")
    assert storefront_on(client, HOSTNAME).status_code == 404


def test_a_txt_record_with_the_token_proves_the_domain_which_then_serves_the_storefront(client, team, zone, jobs):
    token = claim(client, team)["verification_token"]
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = ["some-other-record", token]

    response = client.post(CHECKS, headers=team.manager.headers)
    jobs()

    assert response.status_code == 202
    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    assert domain["status"] == "verified"
    assert domain["verified_at"] is not None
    storefront = storefront_on(client, "Shop.Acme.Test:8443")
    assert storefront.status_code == 200
    assert storefront.get_json()["slug"] == "acme-tools"


def test_the_token_served_at_the_well_known_url_proves_the_domain(client, team, site, jobs):
    token = claim(client, team)["verification_token"]
    site.pages[f"/.well-known/marketplace-verification/{token}"] = (200, token + "\n")

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    assert client.get(DOMAIN, headers=team.owner.headers).get_json()["status"] == "verified"
    assert storefront_on(client, HOSTNAME).get_json()["slug"] == "acme-tools"
    assert (f"{HOSTNAME}:{site.port}", f"/.well-known/marketplace-verification/{token}") in site.requests


def test_a_redirect_within_the_same_host_is_followed(client, team, site, jobs):
    token = claim(client, team)["verification_token"]
    site.pages[f"/.well-known/marketplace-verification/{token}"] = (301, "/moved")
    site.pages["/moved"] = (302, f"http://{HOSTNAME}:{site.port}/proof")
    site.pages["/proof"] = (200, token)

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    assert client.get(DOMAIN, headers=team.owner.headers).get_json()["status"] == "verified"


def test_a_redirect_to_another_host_is_not_followed(client, team, site, zone, jobs):
    token = claim(client, team)["verification_token"]
    zone.records[("attacker.test", "A")] = ["127.0.0.1"]
    site.pages[f"/.well-known/marketplace-verification/{token}"] = (302, f"http://attacker.test:{site.port}/t")
    site.pages["/t"] = (200, token)

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    assert domain["status"] == "pending"
    assert "redirects to another host" in domain["last_check_result"]
    assert all(path != "/t" for _, path in site.requests)


def test_a_wrong_token_leaves_the_domain_pending(client, team, site, zone, jobs):
    token = claim(client, team)["verification_token"]
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = ["not-the-token"]
    site.pages[f"/.well-known/marketplace-verification/{token}"] = (200, "not the token either")

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    assert domain["status"] == "pending"
    assert "do not hold the token" in domain["last_check_result"]
    assert "does not serve the token" in domain["last_check_result"]
    assert storefront_on(client, HOSTNAME).status_code == 404


def test_in_production_a_domain_pointing_at_loopback_is_not_fetched(app, client, team, site, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    token = claim(client, team)["verification_token"]
    site.pages[f"/.well-known/marketplace-verification/{token}"] = (200, token)
    site.requests.clear()

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    assert domain["status"] == "pending"
    assert "its address 127.0.0.1 is not public" in domain["last_check_result"]
    assert site.requests == []


def test_a_domain_pointing_at_a_private_address_is_not_fetched_even_in_development(client, team, zone, jobs):
    zone.records[(HOSTNAME, "A")] = ["10.20.30.40"]
    claim(client, team)

    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    assert "its address 10.20.30.40 is not public" in \
        client.get(DOMAIN, headers=team.owner.headers).get_json()["last_check_result"]


def test_a_site_that_never_answers_is_given_up_on_quickly(app, client, team, zone, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_TIMEOUT_SECONDS", 1)
    zone.records[(HOSTNAME, "A")] = ["127.0.0.1"]
    claim(client, team)
    with closing(socket.create_server(("127.0.0.1", 0))) as silent_site:  # accepts, never answers
        monkeypatch.setitem(app.config, "DOMAIN_CHECK_HTTP_PORT", silent_site.getsockname()[1])
        jobs()  # the check queued by the claim
        started = time.monotonic()

        client.post(CHECKS, headers=team.owner.headers)
        jobs()

        elapsed_seconds = time.monotonic() - started
    domain = client.get(DOMAIN, headers=team.owner.headers).get_json()
    assert domain["status"] == "pending"
    assert "did not answer" in domain["last_check_result"]
    assert elapsed_seconds < 4


def test_the_scheduler_checks_pending_domains_again(app, client, team, zone, jobs):
    token = claim(client, team)["verification_token"]
    jobs()
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = [token]

    build_scheduler(app.config).enqueue_jobs()
    jobs()

    assert client.get(DOMAIN, headers=team.owner.headers).get_json()["status"] == "verified"


def test_a_domain_not_proved_in_time_expires_and_a_check_request_gives_it_another_period(
        app, client, team, zone, jobs, sql):
    token = claim(client, team)["verification_token"]
    jobs()
    sql("UPDATE platform.tenant_domains SET verification_expires_at = now() - interval '1 second'")
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = [token]

    build_scheduler(app.config).enqueue_jobs()
    jobs()
    expired = client.get(DOMAIN, headers=team.owner.headers).get_json()
    response = client.post(CHECKS, headers=team.owner.headers)
    jobs()

    assert expired["status"] == "expired"
    assert storefront_on(client, HOSTNAME).status_code == 200
    assert response.get_json()["status"] == "pending"
    assert response.get_json()["verification_expires_at"] > expired["verification_expires_at"]
    assert client.get(DOMAIN, headers=team.owner.headers).get_json()["status"] == "verified"


def test_a_rivals_claim_blocks_nobody_and_the_first_to_prove_the_domain_gets_it(
        client, team, sign_up, make_seller, zone, jobs):
    rival = sign_up("rival@example.com")
    make_seller("rival-shop", {rival.user_id: MemberRole.OWNER})
    rival_settings = "/api/v1/sellers/rival-shop/settings"
    client.patch(rival_settings, json={"custom_domain": HOSTNAME}, headers=rival.headers)

    token = claim(client, team)["verification_token"]
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = [token]
    client.post(CHECKS, headers=team.owner.headers)
    jobs()

    assert storefront_on(client, HOSTNAME).get_json()["slug"] == "acme-tools"
    rival_domain = client.get("/api/v1/sellers/rival-shop/domain", headers=rival.headers).get_json()
    assert rival_domain["status"] == "expired"
    assert client.patch(rival_settings, json={"custom_domain": "www." + HOSTNAME},
                        headers=rival.headers).status_code == 200
    assert client.patch(rival_settings, json={"custom_domain": HOSTNAME},
                        headers=rival.headers).status_code == 409


def test_moving_to_another_domain_starts_over_and_the_old_one_serves_nothing(client, team, zone, jobs):
    token = claim(client, team)["verification_token"]
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = [token]
    jobs()

    moved = claim(client, team, "www.acme.test")

    assert moved["status"] == "pending"
    assert moved["verification_token"] != token
    assert storefront_on(client, HOSTNAME).status_code == 404
    assert storefront_on(client, "www.acme.test").status_code == 404


def test_staff_cannot_ask_for_a_check_and_a_seller_without_a_domain_has_none(client, team):
    assert client.get(DOMAIN, headers=team.owner.headers).status_code == 404
    claim(client, team)

    response = client.post(CHECKS, headers=team.staff.headers)

    assert response.status_code == 403


def test_the_check_jobs_carry_only_the_domain_id(client, team, sql):
    claim(client, team)

    payloads = sql("SELECT payload FROM shard.outbox_messages "
                   "WHERE job = 'marketplace.sellers.jobs.check_custom_domain'")

    assert [payload for (payload,) in payloads] == [{"domain_id": 1}]


def test_a_proof_found_after_another_seller_verified_the_name_changes_nothing(
        client, team, sign_up, make_seller, zone, jobs, sql):
    rival = sign_up("rival@example.com")
    make_seller("rival-shop", {rival.user_id: MemberRole.OWNER})
    token = claim(client, team)["verification_token"]
    client.patch("/api/v1/sellers/rival-shop/settings", json={"custom_domain": HOSTNAME}, headers=rival.headers)
    # The rival's check won the race while ours was looking.
    sql("UPDATE platform.tenant_domains SET status = 'verified' WHERE verification_token <> :token", token=token)
    zone.records[(f"_marketplace-challenge.{HOSTNAME}", "TXT")] = [token]

    jobs()

    assert client.get(DOMAIN, headers=team.owner.headers).get_json()["status"] == "pending"
    assert storefront_on(client, HOSTNAME).get_json()["slug"] == "rival-shop"
