"""The buyer's cart: lines from any number of sellers, one currency, a guest token or a buyer."""
