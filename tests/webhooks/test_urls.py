"""Before every send, each address the endpoint's host resolves to must be allowed."""
from __future__ import annotations

import socket

import pytest

from marketplace.webhooks.urls import UnsafeDestination, check_destination


def resolving_to(*addresses: str):
    """A stand-in for DNS (outside this machine): the host resolves to these addresses."""

    def resolve(host, port, type=0):  # noqa: A002 - getaddrinfo's name
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in addresses]

    return resolve


@pytest.mark.parametrize("addresses", [("127.0.0.1",), ("10.0.0.7",), ("93.184.215.14", "169.254.169.254"),
                                       ("::1",), ("fd00::1",)])
def test_a_host_resolving_to_an_address_webhooks_may_not_reach_is_refused(addresses):
    with pytest.raises(UnsafeDestination):
        check_destination("https://hooks.example.com/x", allow_loopback=False, resolve=resolving_to(*addresses))


def test_a_host_resolving_only_to_public_addresses_is_allowed():
    check_destination("https://hooks.example.com/x", allow_loopback=False,
                      resolve=resolving_to("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"))


def test_a_host_resolving_to_loopback_is_allowed_where_loopback_is():
    check_destination("https://hooks.example.com/x", allow_loopback=True, resolve=resolving_to("127.0.0.1"))


def test_a_name_that_does_not_resolve_is_refused():
    def nothing(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UnsafeDestination, match="does not resolve"):
        check_destination("https://nowhere.invalid/x", allow_loopback=False, resolve=nothing)
