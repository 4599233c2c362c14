"""A checkout in a process of its own that stops after its first seller's reservation, for a test to kill it.

    python -m tests.checkout.checkout_process BUYER_USER_ID IDEMPOTENCY_KEY

It prints "reserved at one seller" once the first seller's transaction has
committed, then sleeps until killed (SIGKILL: no cleanup of any kind runs).
"""
from __future__ import annotations

import sys
import time

PAUSED = "reserved at one seller"


def main(buyer_user_id: str, idempotency_key: str) -> None:
    # Imported here: building the app is what the process does, not what importing this module does.
    from wsgi import app
    from marketplace.checkout import reservations, services

    reserve = reservations.reserve

    def reserve_then_stop(*args, **kwargs):
        reserved = reserve(*args, **kwargs)
        print(PAUSED, flush=True)
        while True:
            time.sleep(60)
        return reserved

    services.reserve = reserve_then_stop
    with app.app_context():
        services.check_out(int(buyer_user_id), idempotency_key, services.CheckoutRequest(),
                           services.Settings(payment_minutes=30, reserve_seconds=60))


if __name__ == "__main__":
    main(*sys.argv[1:])
