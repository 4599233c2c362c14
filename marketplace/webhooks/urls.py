"""Where a webhook may be sent: the rules of an endpoint's URL and of the addresses it resolves to.

An endpoint must be `https`, unless it is a loopback address (`localhost`,
127.0.0.0/8, ::1) and WEBHOOKS_ALLOW_LOOPBACK is on (development), when
`http` will do too. It is never sent to a private, link-local, multicast,
reserved or unspecified address: someone registering `http://10.0.0.1/` or
`http://169.254.169.254/` would otherwise make our workers reach into our own
network for them (server-side request forgery).

The URL is checked at registration (its literal IP, if it has one) and the
host again before every send, after resolving it: every address it resolves
to must be allowed. The POST then connects to one of those very addresses
(pinned.py), never resolving the name again: otherwise a hostile DNS server
answering with a zero TTL could give the check a public address and the
connection a private one a moment later (DNS rebinding).
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Callable
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]


class UnsafeDestination(ValueError):
    """A URL or one of the addresses its host resolves to is not one a webhook may be sent to."""


def check_endpoint_url(url: str, allow_loopback: bool) -> None:
    """Raise UnsafeDestination (its message for the seller) unless `url` may be registered as an endpoint."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        raise UnsafeDestination("Must be an https:// URL with a host.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("Must be an https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("Must not carry a user name or password: sign-in happens by our signature.")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        raise UnsafeDestination("The port is not a number from 1 to 65535.") from None
    host = parts.hostname
    address = _literal_address(host)
    if _is_loopback_name(host) or (address is not None and address.is_loopback):
        if not allow_loopback:
            raise UnsafeDestination("Loopback addresses (localhost, 127.0.0.0/8, ::1) are not allowed here.")
        return
    if parts.scheme != "https":
        raise UnsafeDestination("Must be an https:// URL (http:// only to a loopback address in development).")
    if address is not None and not is_public(address):
        raise UnsafeDestination(f"{address} is a private, link-local, multicast, reserved or unspecified address.")


def check_destination(url: str, allow_loopback: bool, resolve: Resolver | None = None) -> list[IpAddress]:
    """The addresses `url`'s host resolves to, in the resolver's order, the ones to connect to (pinned.py); raise
    UnsafeDestination unless the URL passes the registration rules and every one of them is allowed.

    `resolve` is getaddrinfo's stand-in (by default the socket module's, looked up at each call)."""
    check_endpoint_url(url, allow_loopback)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolved = (resolve or socket.getaddrinfo)(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeDestination(f"The host {parts.hostname} does not resolve: {error}.") from None
    addresses: list[IpAddress] = []
    for *_, socket_address in resolved:
        address = _unmapped(ipaddress.ip_address(socket_address[0].split("%", 1)[0]))
        addresses.append(address)
        if address.is_loopback:
            if not allow_loopback:
                raise UnsafeDestination(f"The host {parts.hostname} resolves to the loopback address {address}.")
        elif not is_public(address):
            raise UnsafeDestination(f"The host {parts.hostname} resolves to {address}, a private, link-local, "
                                    "multicast, reserved or unspecified address.")
    if not addresses:
        raise UnsafeDestination(f"The host {parts.hostname} resolves to no address.")
    return list(dict.fromkeys(addresses))


def is_public(address: IpAddress) -> bool:
    """True for an address of the public internet; False for every kind a webhook must never reach."""
    address = _unmapped(address)
    return address.is_global and not (address.is_private or address.is_link_local or address.is_multicast
                                       or address.is_reserved or address.is_unspecified or address.is_loopback)


def _literal_address(host: str) -> IpAddress | None:
    try:
        return _unmapped(ipaddress.ip_address(host))
    except ValueError:
        return None


def _unmapped(address: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it reaches."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _is_loopback_name(host: str) -> bool:
    # RFC 6761: localhost and every name under it are loopback.
    return host == "localhost" or host.endswith(".localhost")
