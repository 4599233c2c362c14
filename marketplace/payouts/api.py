"""Payout accounts API: `/sellers/{slug}/payout-account` (owners), and the test gateway's onboarding page."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from billing import payout_accounts, transfers  # noqa: F401 - registers the account.updated and transfer handlers
from billing.gateway.port import GatewayError
from billing.gateway.registry import current_gateway
from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, member_required
from marketplace.core.errors import ApiError, NotFound, ValidationFailed
from marketplace.core.request_parsing import Blueprint
from marketplace.payouts import disputes  # noqa: F401 - registers the dispute handlers
from marketplace.payouts.schemas import (
    OnboardedAccountSchema, PayoutAccountInputSchema, PayoutAccountLinkSchema, PayoutAccountSchema,
)
from tenants.models import Tenant
from tenants.uow import UnitOfWork

blp = Blueprint("payouts", __name__, description="Sellers' payout accounts at the payment processor")

PORTAL_PAYOUTS_PATH = "/portal/payouts"


class PayoutGatewayUnavailable(ApiError):
    status, code = 503, "payment_gateway_unavailable"

    def __init__(self) -> None:
        super().__init__("The payment processor did not answer; try again in a moment.", headers={"Retry-After": "5"})


@blp.route("/sellers/<slug>/payout-account")
class SellerPayoutAccount(MethodView):
    @member_required(MemberRole.OWNER)
    @blp.response(200, PayoutAccountSchema)
    @blp.alt_response(404, response="NOT_FOUND", description="No payout account yet: POST opens one.")
    def get(self, slug):
        """The seller's payout account and whether it can be paid (owners)

        The flags are the processor's, recorded from its `account.updated`
        events: shares are transferred only while `payouts_enabled` is true.
        """
        account = payout_accounts.get_payout_account(current_tenant().id)
        if account is None:
            raise NotFound("This seller has no payout account yet.")
        return account

    @member_required(MemberRole.OWNER)
    @blp.arguments(PayoutAccountInputSchema, example={"country": "DE"})
    @blp.response(200, PayoutAccountLinkSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="`validation_error`: no country given "
                                                                         "for a new account and none on record, "
                                                                         "or one the processor does not support.")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="`payment_gateway_unavailable`: the "
                                                                        "processor did not answer.")
    def post(self, body, slug):
        """Connect the seller to the payment processor, or continue onboarding (owners)

        The first call opens the seller's Express account; every call answers
        a fresh single-use onboarding link for it, which returns the owner to
        the portal. Finishing onboarding is known only from the processor's
        `account.updated` event, never from the return itself.
        """
        tenant = current_tenant()
        portal_url = current_app.config["PUBLIC_URL"].rstrip("/") + PORTAL_PAYOUTS_PATH
        try:
            account, link = payout_accounts.open_payout_account(
                current_gateway(), tenant.id, email=current_principal().email,
                country=body.get("country") or seller_country(tenant.id), refresh_url=portal_url, return_url=portal_url)
        except payout_accounts.CountryRequired as error:
            raise ValidationFailed(str(error), errors={"country": [str(error)]}) from error
        except GatewayError as error:
            if error.code == "country_unsupported":
                raise ValidationFailed(error.message, errors={"country": [error.message]}) from error
            raise PayoutGatewayUnavailable() from error
        return {"account": account, "onboarding_url": link.url,
                "expires_at": datetime.fromtimestamp(link.expires_at, timezone.utc)}


def seller_country(tenant_id: int) -> str | None:
    """The country a seller registered with: the default country of its connected account (pages use it too)."""
    with UnitOfWork() as uow:
        return uow.session.scalar(select(Tenant.country).where(Tenant.id == tenant_id))


test_gateway_blp = Blueprint("test_gateway_onboarding", __name__,
                             description="The test gateway's onboarding page (only with PAYMENT_GATEWAY=test)")


@test_gateway_blp.route("/test-gateway/accounts/<account_id>/onboarding")
class TestGatewayOnboarding(MethodView):
    @test_gateway_blp.response(200, OnboardedAccountSchema)
    @test_gateway_blp.alt_response(404, response="NOT_FOUND", description="No such connected account.")
    def post(self, account_id):
        """Complete the test gateway's onboarding of a connected account

        What the seller finishing Stripe's hosted onboarding does: the account
        can be paid, and the gateway sends `account.updated` to
        `/webhooks/stripe`, which is what enables the seller here.
        """
        try:
            account = current_gateway().complete_onboarding(account_id)
        except GatewayError as error:
            raise NotFound("There is no connected account with this id.") from error
        return {"id": account.id, "payouts_enabled": account.payouts_enabled}
