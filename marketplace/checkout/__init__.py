"""Cart, checkout, stock reservations and the buyer's marketplace order."""
