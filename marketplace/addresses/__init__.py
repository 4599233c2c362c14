"""A buyer's address book (shared schema)."""
