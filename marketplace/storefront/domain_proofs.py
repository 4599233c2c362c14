"""Looking for the proof that a seller controls a custom domain: a DNS TXT record or a token over HTTP.

The port is `DomainProbe.find_proof(hostname, token)`. It asks DNS (with
dnspython) for `_marketplace-challenge.<hostname>` TXT records and, failing
that, fetches `http://<hostname>/.well-known/marketplace-verification/<token>`.
Both go through the one resolver the settings name (DOMAIN_CHECK_NAMESERVERS,
else the system's), so tests point it at a DNS server on loopback, and the
HTTP port is a setting too (DOMAIN_CHECK_HTTP_PORT).

The fetch is made on behalf of whoever typed the domain, so it is careful:
it connects only to the address it checked (no second lookup a rebinding
DNS server could change), refuses addresses that are not public (loopback
allowed in development, for tests and `make run`), follows redirects only
to the same host, reads a few bytes, and gives up after a short timeout.
"""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.nameserver
import dns.resolver
import urllib3

log = logging.getLogger(__name__)

CHALLENGE_LABEL = "_marketplace-challenge"
WELL_KNOWN_PATH = "/.well-known/marketplace-verification/"
HTTPS_PORT = 443
MAX_REDIRECTS = 3
# The token is 32 characters; a page this long that does not contain it is not the proof.
MAX_BODY_BYTES = 4096

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def challenge_record_name(hostname: str) -> str:
    return f"{CHALLENGE_LABEL}.{hostname}"


def well_known_path(token: str) -> str:
    return WELL_KNOWN_PATH + token


@dataclass(frozen=True)
class Proof:
    """What a check found: `method` ("dns" or "http") when proved; `detail` says what was seen, for the seller."""

    method: str | None
    detail: str

    @property
    def found(self) -> bool:
        return self.method is not None


class DomainProbe:
    def __init__(self, resolver: dns.resolver.Resolver, *, http_port: int = 80, allow_loopback: bool = False,
                 timeout_seconds: float = 5):
        self.resolver = resolver
        self.http_port = http_port
        self.allow_loopback = allow_loopback
        self.timeout_seconds = timeout_seconds

    @classmethod
    def from_config(cls, config: Mapping) -> "DomainProbe":
        timeout_seconds = config["DOMAIN_CHECK_TIMEOUT_SECONDS"]
        nameservers = config["DOMAIN_CHECK_NAMESERVERS"]
        resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in nameservers]
        resolver.timeout = resolver.lifetime = timeout_seconds
        return cls(resolver, http_port=config["DOMAIN_CHECK_HTTP_PORT"],
                   allow_loopback=config["APP_ENV"] == "development", timeout_seconds=timeout_seconds)

    def find_proof(self, hostname: str, token: str) -> Proof:
        """Look in DNS, then over HTTP; the first place that holds the token proves the domain."""
        dns_detail = self._look_in_dns(hostname, token)
        if dns_detail is None:
            return Proof("dns", f"TXT record {challenge_record_name(hostname)} holds the token.")
        http_detail = self._look_over_http(hostname, token)
        if http_detail is None:
            return Proof("http", f"http://{hostname}{well_known_path(token)} serves the token.")
        return Proof(None, f"{dns_detail} {http_detail}")

    def _look_in_dns(self, hostname: str, token: str) -> str | None:
        """None when a TXT record holds the token, else what was found instead."""
        name = challenge_record_name(hostname)
        try:
            answer = self.resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return f"No TXT record {name}."
        except dns.exception.DNSException as error:
            log.info("TXT lookup of %s failed: %r", name, error)
            return f"The TXT lookup of {name} failed ({type(error).__name__})."
        values = [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
        return None if token in values else f"The TXT records of {name} do not hold the token."

    def _look_over_http(self, hostname: str, token: str) -> str | None:
        """None when the well-known URL serves the token, else why not."""
        url = f"http://{hostname}{well_known_path(token)}"
        try:
            body = self._fetch(hostname, "http", self.http_port, well_known_path(token))
        except RefusedFetch as refusal:
            return f"{url} was not fetched: {refusal}."
        except urllib3.exceptions.HTTPError as error:
            log.info("fetch of %s failed: %r", url, error)
            return f"{url} did not answer ({type(error).__name__})."
        return None if body is not None and token in body else f"{url} does not serve the token."

    def _fetch(self, hostname: str, scheme: str, port: int, path: str) -> str | None:
        """The body of a 200 answer, None for any other status; same-host redirects are followed."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get(hostname, scheme, port, path)
            if response.status not in (301, 302, 303, 307, 308):
                return response.body.decode("utf-8", "replace") if response.status == 200 else None
            try:
                target = urlsplit(urljoin(f"{scheme}://{hostname}{path}", response.headers.get("Location", "")))
                target_port = target.port
            except ValueError as error:
                raise RefusedFetch("it redirects to a malformed URL") from error
            if target.hostname != hostname or target.scheme not in ("http", "https"):
                raise RefusedFetch("it redirects to another host")
            if target.scheme != scheme:
                port = HTTPS_PORT if target.scheme == "https" else self.http_port
            port, scheme = target_port or port, target.scheme
            path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        raise RefusedFetch("too many redirects")

    def _get(self, hostname: str, scheme: str, port: int, path: str) -> "_Answer":
        address = self._public_address(hostname)
        timeout = urllib3.Timeout(connect=self.timeout_seconds, read=self.timeout_seconds)
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(str(address), port, timeout=timeout, retries=False,
                                               server_hostname=hostname, assert_hostname=hostname)
        else:
            pool = urllib3.HTTPConnectionPool(str(address), port, timeout=timeout, retries=False)
        host_header = hostname if port in (80, HTTPS_PORT) else f"{hostname}:{port}"
        with pool:
            response = pool.urlopen("GET", path, headers={"Host": host_header}, redirect=False,
                                    preload_content=False)
            body = response.read(MAX_BODY_BYTES)
            response.release_conn()
        return _Answer(response.status, response.headers, body)

    def _public_address(self, hostname: str) -> IpAddress:
        """The first address of `hostname` (IPv4 first); RefusedFetch if there is none or it is not public."""
        addresses: list[IpAddress] = []
        for record_type in ("A", "AAAA"):
            try:
                answer = self.resolver.resolve(hostname, record_type)
                addresses += [ipaddress.ip_address(record.address) for record in answer]
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException as error:
                raise RefusedFetch(f"its address lookup failed ({type(error).__name__})") from error
        if not addresses:
            raise RefusedFetch("the host name has no address")
        address = addresses[0]
        if not (address.is_global or (self.allow_loopback and address.is_loopback)):
            raise RefusedFetch(f"its address {address} is not public")
        return address


class RefusedFetch(Exception):
    """The well-known URL was not fetched (or a redirect not followed), for the reason given."""


@dataclass(frozen=True)
class _Answer:
    """The start of an HTTP answer: enough to find a token or a redirect."""

    status: int
    headers: Mapping[str, str]
    body: bytes
