"""Imports every model module, so that SharedBase and TenantBase metadata are complete.

Migrations, provisioning and the app factory rely on it: a table whose module
is not imported here is invisible to all three.
"""
from marketplace.accounts import models as accounts_models  # noqa: F401
from marketplace.audit import models as audit_models  # noqa: F401
from marketplace.catalog import models as catalog_models  # noqa: F401
from marketplace.checkout import models as checkout_models  # noqa: F401
from marketplace.mail import models as mail_models  # noqa: F401
from marketplace.notifications import models as notifications_models  # noqa: F401
from marketplace.search import models as search_models  # noqa: F401
from marketplace.sellers import models as sellers_models  # noqa: F401
from tenants import models as tenants_models  # noqa: F401
from tenants import outbox as outbox_models  # noqa: F401
from tenants.db import SharedBase, TenantBase

shared_metadata = SharedBase.metadata
tenant_metadata = TenantBase.metadata
