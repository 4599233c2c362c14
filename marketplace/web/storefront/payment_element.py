"""Stripe's Payment Element on the pages that take a card, when STRIPE_PUBLISHABLE_KEY is set.

Without the key (the test gateway) those pages ask for a card number, which
the gateway takes as the payment method. With it, storefront.js mounts the
Payment Element and turns the card into a payment method id (`pm_…`) posted
in the same `payment_method` field; the server confirms the order's payment
intent with it, as the API does.
"""
from __future__ import annotations

from flask import current_app

from marketplace.web.security import allow_in_policy

# Stripe's documented Content-Security-Policy for Stripe.js: its script, its frames and the API it calls.
STRIPE_POLICY = {"script-src": ("https://js.stripe.com",),
                 "frame-src": ("https://js.stripe.com", "https://hooks.stripe.com"),
                 "connect-src": ("https://api.stripe.com",)}


def stripe_publishable_key() -> str | None:
    """The key to embed the Payment Element with, allowing Stripe in this response's policy; None: no Stripe."""
    key = current_app.config["STRIPE_PUBLISHABLE_KEY"]
    if key:
        for directive, sources in STRIPE_POLICY.items():
            allow_in_policy(directive, *sources)
    return key
