"""Sellers' outbound webhooks: endpoints, their deliveries, replays.

Owners and managers manage endpoints and replay deliveries (settings, so not
while the seller is suspended); operators may read them too. Ids are the
seller's own: another seller's endpoint or delivery is not found (404).
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_tenant, member_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.webhooks import services
from marketplace.webhooks.schemas import (DeliverySchema, EndpointChangeSchema, EndpointInputSchema, EndpointSchema,
                                          EndpointWithSecretSchema)

blp = Blueprint("webhooks", __name__, description="Outbound webhooks: a seller's endpoints and their deliveries")

ENDPOINTS_PATH = "/sellers/<slug>/webhook-endpoints"
ENDPOINT_PATH = ENDPOINTS_PATH + "/<id:endpoint_id>"
BAD_URL = ("`validation_error`: a URL that is not https (or loopback where allowed), names a private, link-local or "
           "reserved address, or an unknown event type (`errors` names the field).")
EXAMPLE_ENDPOINT = {"url": "https://erp.example.com/hooks/marketplace",
                    "event_types": ["seller_order.created", "seller_order.cancelled", "shipment.created"],
                    "description": "Our ERP"}

endpoint_manager = member_required(MemberRole.MANAGER)
endpoint_reader = member_required(MemberRole.MANAGER, allow_operators=True)


def _allow_loopback() -> bool:
    return current_app.config["WEBHOOKS_ALLOW_LOOPBACK"]


@blp.route(ENDPOINTS_PATH)
class WebhookEndpoints(MethodView):
    @endpoint_reader
    @blp.response(200, EndpointSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's webhook endpoints, oldest first (owners, managers and operators)"""
        return services.list_endpoints(current_tenant(), page_request)

    @endpoint_manager
    @blp.arguments(EndpointInputSchema, example=EXAMPLE_ENDPOINT)
    @blp.response(201, EndpointWithSecretSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description=BAD_URL)
    def post(self, endpoint, slug):
        """Register a webhook endpoint (owners and managers)

        The answer holds the endpoint's signing secret, shown this once. Each
        event is POSTed as JSON with `Marketplace-Event-Id`,
        `Marketplace-Event-Type` and `Marketplace-Signature: t=<unix time>,v1=<hex
        HMAC-SHA256 of "<t>.<body>" keyed with the secret>`; a 2xx answer
        acknowledges it, anything else is retried with backoff.
        """
        return services.register_endpoint(current_tenant(), endpoint["url"], endpoint["event_types"],
                                          endpoint["description"], _allow_loopback()), 201


@blp.route(ENDPOINT_PATH)
class WebhookEndpoint(MethodView):
    @endpoint_reader
    @blp.response(200, EndpointSchema)
    def get(self, slug, endpoint_id):
        """One webhook endpoint (owners, managers and operators); its secret is never shown again"""
        return services.get_endpoint(current_tenant(), endpoint_id)

    @endpoint_manager
    @blp.arguments(EndpointChangeSchema, example={"active": False})
    @blp.response(200, EndpointSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description=BAD_URL)
    def patch(self, changes, slug, endpoint_id):
        """Change a webhook endpoint's URL, events, description or active flag (owners and managers)"""
        return services.change_endpoint(current_tenant(), endpoint_id, changes, _allow_loopback())

    @endpoint_manager
    @blp.response(204)
    def delete(self, slug, endpoint_id):
        """Delete a webhook endpoint and its deliveries (owners and managers)"""
        services.delete_endpoint(current_tenant(), endpoint_id)


@blp.route(ENDPOINT_PATH + "/rotate-secret")
class WebhookEndpointSecret(MethodView):
    @endpoint_manager
    @blp.response(200, EndpointWithSecretSchema)
    def post(self, slug, endpoint_id):
        """Replace a webhook endpoint's signing secret (owners and managers)

        The new secret, shown this once, signs every POST from now on,
        retries of earlier deliveries included; the old one stops at once.
        """
        return services.rotate_secret(current_tenant(), endpoint_id)


@blp.route(ENDPOINT_PATH + "/deliveries")
class WebhookDeliveries(MethodView):
    @endpoint_reader
    @blp.response(200, DeliverySchema(many=True))
    @paginated(blp)
    def get(self, slug, endpoint_id, page_request):
        """A webhook endpoint's deliveries, newest first, with their status and attempts (owners, managers, operators)"""
        return services.list_deliveries(current_tenant(), endpoint_id, page_request)


@blp.route("/sellers/<slug>/webhook-deliveries/<id:delivery_id>/replay")
class WebhookDeliveryReplay(MethodView):
    @endpoint_manager
    @blp.response(202, DeliverySchema)
    def post(self, slug, delivery_id):
        """Send a webhook delivery again, with the same event id (owners and managers)

        It is pending until a job has sent it (a new attempt in its log); it
        still follows the earlier pending deliveries of its order to that endpoint.
        """
        return services.replay_delivery(current_tenant(), delivery_id), 202
