"""What buyers browse: the marketplace listing, product pages and seller storefronts, cached in Redis."""
