"""Imports every model module, so that the SharedBase, ShardBase and TenantBase metadata are complete.

The shared migration check, the app factory and `register_tenant_schema`
rely on it: a table whose module is not imported here is invisible to them.
"""
from marketplace.accounts import models as accounts_models  # noqa: F401
from marketplace.addresses import models as addresses_models  # noqa: F401
from marketplace.audit import models as audit_models  # noqa: F401
from marketplace.cart import models as cart_models  # noqa: F401
from marketplace.catalog import models as catalog_models  # noqa: F401
from marketplace.checkout import models as checkout_models  # noqa: F401
from marketplace.mail import models as mail_models  # noqa: F401
from marketplace.notifications import models as notifications_models  # noqa: F401
from marketplace.orders import models as orders_models  # noqa: F401
from marketplace.refunds import models as refunds_models  # noqa: F401
from marketplace.reviews import models as reviews_models  # noqa: F401
from marketplace.search import models as search_models  # noqa: F401
from marketplace.sellers import models as sellers_models  # noqa: F401
from marketplace.shipping import models as shipping_models  # noqa: F401
from marketplace.storefront import models as storefront_models  # noqa: F401
from marketplace.webhooks import models as webhooks_models  # noqa: F401
from billing import commission as commission_models  # noqa: F401
from billing import ledger_models  # noqa: F401
from billing import payout_account_models  # noqa: F401
from billing import transfer_models  # noqa: F401
from billing import payout_models  # noqa: F401
from billing import plan_models  # noqa: F401
from billing import settlement_models  # noqa: F401
from billing import webhooks as webhook_models  # noqa: F401
from billing.gateway import models as test_gateway_models  # noqa: F401
from tenants import models as tenants_models  # noqa: F401
from tenants import move_models  # noqa: F401
from tenants import outbox as outbox_models  # noqa: F401
from migrations import MIGRATIONS_DIR
from tenants import tenant_schema
from tenants.db import ShardBase, SharedBase, TenantBase

shared_metadata = SharedBase.metadata
shard_metadata = ShardBase.metadata
tenant_metadata = TenantBase.metadata


def register_tenant_schema() -> None:
    """Tell the tenants package what every tenant schema holds; create_app calls it, so every entry point does."""
    tenant_schema.register_tenant_schema(tenant_metadata, MIGRATIONS_DIR / "tenant")
