"""Becoming and being a seller: applications, members and invites, storefront settings, tenant administration."""
