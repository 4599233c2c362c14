"""A webhook goes to the very address its host was checked at, over TLS checked against the endpoint's name."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.webhooks.conftest import deliveries, register_endpoint
from tests.workers.support import run_jobs

REBOUND_NAME = "hooks.rebind.test"


def subscribed(client, offer, member_of, url: str):
    seller_offer = offer("oak")
    response = register_endpoint(client, seller_offer.tenant, member_of(seller_offer.tenant), url)
    assert response.status_code == 201, response.get_json()
    return seller_offer


def test_an_https_endpoint_gets_its_event_over_tls_with_its_own_name_in_the_host_header(
        app, client, offer, member_of, routed_order, tls_receiver):
    seller_offer = subscribed(client, offer, member_of, tls_receiver.url)

    routed_order([seller_offer])
    run_jobs(app)

    [received] = tls_receiver.received
    assert received.event["type"] == "seller_order.created"
    assert received.headers["Host"] == urlsplit(tls_receiver.url).netloc  # localhost:<port>, not the address
    [delivery] = deliveries(app, seller_offer.tenant)
    assert delivery.status.value == "succeeded"


def test_a_receiver_whose_certificate_does_not_name_the_endpoints_host_gets_nothing(
        app, client, offer, member_of, routed_order, tls_receiver):
    by_address = tls_receiver.url.replace("//localhost:", "//127.0.0.1:")  # the certificate names no address
    seller_offer = subscribed(client, offer, member_of, by_address)

    routed_order([seller_offer])
    run_jobs(app)

    assert tls_receiver.received == []
    [delivery] = deliveries(app, seller_offer.tenant)
    assert delivery.status.value == "pending" and delivery.attempts == 1
    assert "certificate" in delivery.last_error.lower()


def test_a_name_rebound_to_a_private_address_after_the_check_is_still_sent_to_the_address_checked(
        app, client, offer, member_of, routed_order, tls_receiver, monkeypatch):
    """DNS rebinding: the name answers the check with an allowed address, and any later lookup with a private one.
    (Loopback stands for a public address here: tests allow it, and the receiver listens there.)"""
    lookups: list[str] = []
    system_lookup = socket.getaddrinfo

    def rebinding_dns(host, port, *args, **kwargs):
        if host != REBOUND_NAME:
            return system_lookup(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.7"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    rebound_url = tls_receiver.url.replace("//localhost:", f"//{REBOUND_NAME}:")
    seller_offer = subscribed(client, offer, member_of, rebound_url)

    routed_order([seller_offer])
    run_jobs(app)

    [received] = tls_receiver.received  # connected to 127.0.0.1, the address checked, never to 10.0.0.7
    assert received.headers["Host"] == urlsplit(rebound_url).netloc
    assert lookups == [REBOUND_NAME]  # resolved once, for the check
    [delivery] = deliveries(app, seller_offer.tenant)
    assert delivery.status.value == "succeeded"
