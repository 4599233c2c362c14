"""Payments API: `POST /webhooks/stripe`, and (PAYMENT_GATEWAY=test only) the test gateway's 3-D Secure page."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from billing.gateway.port import GatewayError, InvalidSignature
from billing.gateway.registry import current_gateway
from billing.webhooks import record_event
from marketplace.core.errors import ApiError, Conflict, NotFound
from marketplace.core.request_parsing import Blueprint
from marketplace.payments.schemas import AuthenticatedIntentSchema, AuthenticationInputSchema, WebhookReceiptSchema

blp = Blueprint("payments", __name__, description="Events from the payment processor")
test_gateway_blp = Blueprint("test_gateway", __name__,
                             description="The test payment gateway's own pages (only with PAYMENT_GATEWAY=test)")

STRIPE_SIGNATURE = "Stripe-Signature"
WEBHOOK_DOC = {
    "parameters": [{"in": "header", "name": STRIPE_SIGNATURE, "required": True, "schema": {"type": "string"},
                    "description": "`t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` keyed with the "
                                   "endpoint's signing secret (STRIPE_WEBHOOK_SECRET)."}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "A Stripe event, exactly as the processor signed it."}}}},
}


class InvalidWebhook(ApiError):
    status, code = 400, "invalid_webhook"


class NotAwaitingAuthentication(Conflict):
    code = "illegal_transition"


@blp.route("/webhooks/stripe")
class StripeWebhook(MethodView):
    @blp.doc(**WEBHOOK_DOC)
    @blp.response(200, WebhookReceiptSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="`invalid_webhook`: the signature is missing, "
                                                               "wrong or older than 300 s, or the body is not an "
                                                               "event. Nothing is stored.")
    @blp.alt_response(413, response="PAYLOAD_TOO_LARGE")
    def post(self):
        """Receive an event from Stripe (or the test gateway)

        The signature is checked on the raw body. Each event is stored once by
        its id and handled in the background by a job that reads its object
        again from the processor; an event id received before answers 200
        with `duplicate` and stores nothing. Event types nobody handles are
        accepted (200) and ignored.
        """
        try:
            event = current_gateway().construct_event(request.get_data(), request.headers.get(STRIPE_SIGNATURE))
        except InvalidSignature as error:
            raise InvalidWebhook("The webhook's signature does not verify.", errors={"signature": [str(error)]})
        stored = record_event(event)
        return {"event_id": event.id, "duplicate": not stored}


@test_gateway_blp.route("/test-gateway/payment_intents/<intent_id>/authenticate")
class TestGatewayAuthentication(MethodView):
    @test_gateway_blp.arguments(AuthenticationInputSchema, example={"client_secret": "pi_3f1c…_secret_…",
                                                                    "approve": True})
    @test_gateway_blp.response(200, AuthenticatedIntentSchema)
    @test_gateway_blp.alt_response(404, response="NOT_FOUND",
                                   description="No such payment intent, or the client secret is not its.")
    @test_gateway_blp.alt_response(409, response="CONFLICT", description="`illegal_transition`: the payment "
                                                                         "intent is not waiting for authentication.")
    def post(self, answer, intent_id):
        """Answer the test gateway's 3-D Secure challenge

        A payment confirmed with a card that requires authentication
        (4000002500003155, `pm_card_authenticationRequired`) waits in
        `requires_action`: the buyer approves (the payment succeeds) or
        refuses (it fails with `payment_intent_authentication_failure`), and
        the gateway sends the event to `/webhooks/stripe` as Stripe would.
        """
        gateway = current_gateway()
        if not gateway.client_secret_matches(intent_id, answer["client_secret"]):
            raise NotFound("There is no payment intent with this id and client secret.")
        try:
            intent = gateway.authenticate(intent_id, answer["approve"])
        except GatewayError as error:
            raise NotAwaitingAuthentication(error.message) from error
        return {"id": intent.id, "status": intent.status, "last_payment_error": intent.last_payment_error}
