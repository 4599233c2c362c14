"""The payment gateway port and its adapters (`test`: our stateful test gateway; `stripe`: Stripe via StripeClient)."""
