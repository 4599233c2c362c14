"""Stripe's webhook signatures, for both adapters: the TestGateway signs as Stripe does, and both verify alike.

A delivery carries `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
keyed with the endpoint's secret. Verification is the `stripe` package's own
(`stripe.WebhookSignature.verify_header`), with WEBHOOK_TOLERANCE_SECONDS.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import stripe

from billing.gateway.port import WEBHOOK_TOLERANCE_SECONDS, InvalidSignature, WebhookEvent

# 9999-12-31T23:59:59Z: the latest time a timestamp column holds.
LATEST_UNIX_TIME = 253_402_300_799


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header of `payload` signed at `timestamp` (default: now)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    signed = f"{signed_at}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


def verify_event(payload: bytes, header: str | None, secret: str) -> WebhookEvent:
    """The event `payload` holds if `header` signs it with `secret` within the tolerance; else InvalidSignature.

    A body that verifies but is not an event (no id, type or object) is
    refused the same way: it could only come from a broken sender.
    """
    if not header:
        raise InvalidSignature("no Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from None
    except UnicodeDecodeError:  # the signature covers the body as UTF-8 text
        raise InvalidSignature("the body is not UTF-8 text") from None
    try:
        body = json.loads(payload)
        event_object = body["data"]["object"]
        account = body.get("account")  # only on events of a connected account (Connect)
        return WebhookEvent(id=_text(body["id"], 255), type=_text(body["type"], 100),
                            object_type=_text(event_object["object"], 60), object_id=_text(event_object["id"], 255),
                            created=_unix_time(body["created"]),
                            account=None if account is None else _text(account, 255))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise InvalidSignature(f"the signed body is not an event: {error}") from None


# What gateway_events stores; a larger or stranger value is no event of Stripe's.
def _text(value: object, max_length: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= max_length or "\x00" in value:
        raise TypeError(f"expected text of 1 to {max_length} characters, not {value!r:.80}")
    return value


def _unix_time(value: object) -> int:
    if type(value) is not int or not 0 <= value <= LATEST_UNIX_TIME:
        raise TypeError(f"expected a unix time, not {value!r:.80}")
    return value
