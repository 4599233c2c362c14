"""Sellers' payout accounts (onboarding at the processor), transfers of their shares, and disputes of orders."""
