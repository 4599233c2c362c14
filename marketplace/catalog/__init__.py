"""Products, variants, stock, categories and reviews: each seller's catalog, in its own schema."""
