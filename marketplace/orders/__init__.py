"""Seller orders (tenant schema): each seller's part of a paid marketplace order, and its routing."""
