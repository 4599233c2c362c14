"""Each seller's shipping rates (tenant schema) and the shipping options they offer a cart."""
