"""A buyer's requests racing each other still leave one default and a book within its limit."""
from __future__ import annotations

from marketplace.addresses import services
from marketplace.addresses.models import MAX_ADDRESSES_PER_USER
from tests.concurrency import run_together

BERLIN = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117",
          "country": "DE"}


def test_first_addresses_added_at_once_make_exactly_one_default(app, buyer, sql):
    outcomes = run_together(app, *[lambda: services.add_address(buyer.user_id, BERLIN)] * 6)

    assert outcomes == ["done"] * 6
    assert sql("SELECT count(*) FILTER (WHERE is_default), count(*) FROM platform.addresses") == [(1, 6)]


def test_addresses_added_at_once_never_pass_the_limit(app, buyer, sql):
    with app.app_context():
        for _ in range(MAX_ADDRESSES_PER_USER - 2):
            services.add_address(buyer.user_id, BERLIN)

    outcomes = run_together(app, *[lambda: services.add_address(buyer.user_id, BERLIN)] * 5)

    assert sorted(outcomes) == ["AddressLimitReached"] * 3 + ["done"] * 2
    assert sql("SELECT count(*) FROM platform.addresses") == [(MAX_ADDRESSES_PER_USER,)]


def test_defaults_chosen_at_once_leave_one_default(app, buyer, sql):
    with app.app_context():
        ids = [services.add_address(buyer.user_id, BERLIN)["id"] for _ in range(5)]

    outcomes = run_together(app, *[lambda address_id=address_id: services.make_default(buyer.user_id, address_id)
                                   for address_id in ids])

    assert outcomes == ["done"] * 5
    assert sql("SELECT count(*) FROM platform.addresses WHERE is_default") == [(1,)]
