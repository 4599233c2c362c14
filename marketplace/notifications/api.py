"""The notifications API: the current user's notifications."""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.permissions import current_principal, login_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.notifications import services
from marketplace.notifications.schemas import NotificationSchema

blp = Blueprint("notifications", __name__, description="The current user's notifications")


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @login_required
    @blp.response(200, NotificationSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """The current user's notifications, newest first"""
        return services.list_for_user(current_principal().user_id, page_request)
