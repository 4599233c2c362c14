"""Commission rules (operators): the marketplace's cut per seller, category, both, or by default."""
