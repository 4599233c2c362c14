"""Money views: balances, payout schedules and runs, statements, the operator's ledger, revenue and reconciliation."""
