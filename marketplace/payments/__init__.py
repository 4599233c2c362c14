"""Payments at the HTTP edge: the processor's webhooks in, and the test gateway's 3-D Secure page.

The gateway itself, its adapters and the event handling live in `billing`.
"""
