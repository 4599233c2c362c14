"""The audit log API (operators only)."""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.permissions import operator_required
from marketplace.audit import services
from marketplace.audit.schemas import AuditEntrySchema, AuditFilterSchema
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint

blp = Blueprint("audit", __name__, description="Who did what, when, with the record before and after")


@blp.route("/operator/audit-log")
class AuditLog(MethodView):
    @operator_required
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """The audit log, newest first, filtered by seller or action (operators only)"""
        return services.list_entries(page_request, tenant_slug=filters.get("tenant"), action=filters.get("action"))
