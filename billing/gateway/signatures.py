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
        return WebhookEvent(id=_text(body["id"]), type=_text(body["type"]),
                            object_type=_text(event_object["object"]), object_id=_text(event_object["id"]),
                            created=int(body["created"]))
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidSignature(f"the signed body is not an event: {error}") from None


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, not {value!r}")
    return value
