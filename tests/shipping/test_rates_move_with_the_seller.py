"""A seller's shipping rates move with it to another database server, arrays and bands intact."""
from __future__ import annotations

from marketplace.shipping.services import create_rate, shipping_options
from tenants.move import MoveSettings, run_move, start_or_resume_move
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_id
from tests.conftest import SECOND_SHARD

RATES = [
    {"name": "Iberia", "countries": ["PT", "ES"], "kind": "flat", "amount": 450, "free_over_amount": 5000},
    {"name": "World", "countries": ["*"], "kind": "weight_bands",
     "weight_bands": [{"up_to_grams": 500, "amount": 900}, {"up_to_grams": 2000, "amount": 1800}]},
]


def test_a_moved_seller_offers_the_same_shipping_options(app):
    with app.app_context():
        tenant = provision_tenant("oak-shop", "Oak Shop", shard_key="default")
        for rate in RATES:
            create_rate(tenant, None, rate)
        before = [shipping_options(tenant, country, 1000, 800) for country in ("PT", "JP")]

        run_move(start_or_resume_move(tenant, SECOND_SHARD), MoveSettings(grace_seconds=0))
        moved = get_tenant_by_id(tenant.id)
        after = [shipping_options(moved, country, 1000, 800) for country in ("PT", "JP")]

    assert moved.shard_key == SECOND_SHARD
    assert [[(option.name, option.amount) for option in options] for options in after] == [[("Iberia", 450)],
                                                                                          [("World", 1800)]]
    assert after == before
