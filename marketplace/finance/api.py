"""Money views: a seller's balance, payout schedule, payouts and statements; the operator's payout runs, ledger,
revenue and reconciliation.

A seller's views are its members' (any role reads, owners and managers change
the schedule) and operators' (reads); everything under /operator is operators'.
"""
from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import RAISE

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, member_required, operator_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.finance import services
from marketplace.finance.schemas import (
    BalanceSchema, LedgerQuerySchema, LedgerTransactionSchema, PayoutRunSchema, PayoutScheduleSchema,
    PeriodQuerySchema, ReconciliationReportSchema, RevenueQuerySchema, RevenueSchema, SellerBalancesSchema,
    SellerPayoutSchema, StatementsSchema,
)

blp = Blueprint("finance", __name__, description="Money: balances, payout schedules and runs, statements, the ledger "
                                                 "and reconciliation")

TEXT = {"type": "string"}
money_reader = member_required(MemberRole.STAFF, allow_operators=True)


@blp.route("/sellers/<slug>/balance")
class SellerBalance(MethodView):
    @money_reader
    @blp.response(200, BalanceSchema, example={"seller": "acme", "balances": [
        {"currency": "EUR", "available": 4_250, "pending": 12_780, "receivable": 0, "paid_out": 88_100}]})
    def get(self, slug):
        """The seller's money per currency: available, pending, receivable, paid out (members and operators)"""
        return services.seller_balance(current_tenant())


@blp.route("/sellers/<slug>/payout-schedule")
class PayoutSchedule(MethodView):
    @money_reader
    @blp.response(200, PayoutScheduleSchema)
    def get(self, slug):
        """When the seller is paid out (members and operators); daily with the platform's minimum until changed"""
        return services.payout_schedule(current_tenant())

    @member_required(MemberRole.MANAGER)
    @blp.arguments(PayoutScheduleSchema, example={"frequency": "weekly", "weekday": 4, "minimum_amount": 5_000})
    @blp.response(200, PayoutScheduleSchema)
    def put(self, schedule, slug):
        """Set when the seller is paid out (owners and managers)

        The next payout run applies it. `minimum_amount` null falls back to the
        platform's default minimum.
        """
        return services.change_payout_schedule(current_principal().user_id, current_tenant(), schedule)


@blp.route("/sellers/<slug>/payouts")
class SellerPayouts(MethodView):
    @money_reader
    @blp.response(200, SellerPayoutSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's payouts to its bank, newest first, with what the bank answered (members and operators)"""
        return services.seller_payouts(current_tenant(), page_request)


@blp.route("/sellers/<slug>/statements")
class Statements(MethodView):
    @money_reader
    @blp.arguments(PeriodQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, StatementsSchema)
    def get(self, period, slug):
        """The seller's statement of a period, per currency (members and operators)

        Every ledger movement of the seller's money in the period (settled
        orders net of commission and fee share, refunds, transfers, reversals,
        payouts, plan fees, corrections), with the opening and closing figures
        they lead between. `period=2026-11`, or `from` and `to` (days, both included).
        """
        return services.statements(current_tenant(), period)


@blp.route("/sellers/<slug>/statements.csv")
class StatementsCsv(MethodView):
    @money_reader
    @blp.arguments(PeriodQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TEXT, content_type="text/csv",
                  description="Per currency an `opening` row, one row per ledger movement, then a `closing` row; "
                              "amounts in minor units, times in ISO 8601.")
    def get(self, period, slug):
        """The seller's statement as CSV (members and operators)"""
        rows = services.statements_csv(current_tenant(), period)
        return Response(stream_with_context(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{slug}-statement.csv"'})


@blp.route("/operator/payout-runs")
class PayoutRuns(MethodView):
    @operator_required
    @blp.response(200, PayoutRunSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """Payout runs, newest first, with their per-seller results (operators only)"""
        return services.list_payout_runs(page_request)

    @operator_required
    @blp.response(202, PayoutRunSchema)
    def post(self):
        """Start a payout run now (operators only)

        It runs as a job: every seller with money available is paid out if due
        today by its schedule (`manual` sellers too), its payout account has
        payouts enabled, and the money reaches its minimum; the others are
        listed as skipped with the reason. Read the run back for its results.
        """
        return services.start_payout_run(current_principal().user_id)


@blp.route("/operator/payout-runs/<id:run_id>")
class PayoutRunView(MethodView):
    @operator_required
    @blp.response(200, PayoutRunSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, run_id):
        """A payout run and its per-seller results (operators only)"""
        return services.get_payout_run(run_id)


@blp.route("/operator/ledger")
class Ledger(MethodView):
    @operator_required
    @blp.arguments(LedgerQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, LedgerTransactionSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """Ledger transactions with their postings, newest first, filtered (operators only)

        An unknown seller in `seller` is a 422.
        """
        return services.ledger_transactions(filters, page_request)


@blp.route("/operator/balances")
class Balances(MethodView):
    @operator_required
    @blp.response(200, SellerBalancesSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """Every seller with money in the ledger, with its figures per currency (operators only)"""
        return services.all_seller_balances(page_request)


@blp.route("/operator/revenue")
class Revenue(MethodView):
    @operator_required
    @blp.arguments(RevenueQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, RevenueSchema(many=True))
    def get(self, query):
        """The platform's revenue per period and currency, oldest first (operators only)"""
        return services.revenue(query)


@blp.route("/operator/reconciliation")
class Reconciliation(MethodView):
    @operator_required
    @blp.response(200, ReconciliationReportSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """The daily reconciliation reports, newest first: the ledger against the processor (operators only)"""
        return services.reconciliation_reports(page_request)
