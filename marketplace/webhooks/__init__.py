"""Outbound webhooks: sellers register endpoints, and each order event is POSTed to them, signed, in order."""
