"""Buyers' reviews of purchased products, sellers' replies and operators' moderation."""
