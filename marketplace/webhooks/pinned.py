"""POSTing a webhook to the very address that was checked, which closes DNS rebinding (see urls.py).

`check_destination` resolves the endpoint's host once and checks every
address; the POST then connects to a checked address, and nothing resolves
the name again in between. The URL's host name is kept wherever the
receiver looks for it: the Host header, TLS's server name (SNI) and the
name the certificate must carry. So a hostile DNS server that answers the
check with a public address and a moment later with a private one never gets
our worker to connect to the private one.
"""
from __future__ import annotations

from typing import Sequence
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from marketplace.webhooks.urls import IpAddress

# What a receiver's certificate is verified against: requests' CA bundle (certifi). Tests give their own CA's file.
TLS_VERIFY: bool | str = True


class _ServerNameAdapter(HTTPAdapter):
    """An HTTPS adapter for a URL naming an IP address: TLS sends, and checks the certificate for, `server_name`."""

    def __init__(self, server_name: str) -> None:
        self._server_name = server_name  # before HTTPAdapter's __init__, which makes the pool manager
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        super().init_poolmanager(connections, maxsize, block, server_hostname=self._server_name, **pool_kwargs)


def post_to_addresses(url: str, addresses: Sequence[IpAddress], *, data: bytes, headers: dict[str, str],
                      timeout_seconds: float) -> int:
    """POST `data` to `url` through the first of `addresses` that accepts a connection; the answer's status.

    Redirects are never followed and the answer's body is never read. A refused connection tries the next
    address, as a resolver-driven client would; a timeout does not (the job's time budget counts one POST).
    """
    parts = urlsplit(url)
    for position, address in enumerate(addresses):
        try:
            return _post(parts, address, data, headers, timeout_seconds)
        except requests.ConnectionError as error:
            if isinstance(error, requests.Timeout) or position == len(addresses) - 1:
                raise
    raise requests.ConnectionError(f"{parts.hostname} resolved to no address")


def _post(parts, address: IpAddress, data: bytes, headers: dict[str, str], timeout_seconds: float) -> int:
    port = f":{parts.port}" if parts.port is not None else ""
    connect_to = f"[{address}]" if address.version == 6 else str(address)
    named = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    pinned_url = urlunsplit((parts.scheme, connect_to + port, parts.path or "/", parts.query, ""))
    with requests.Session() as session:
        session.trust_env = False  # no proxy or .netrc from the environment: we connect to the address checked
        session.verify = TLS_VERIFY
        session.mount("https://", _ServerNameAdapter(parts.hostname))
        with session.post(pinned_url, data=data, headers={**headers, "Host": named + port}, allow_redirects=False,
                          stream=True, timeout=(timeout_seconds, timeout_seconds)) as response:
            return response.status_code
