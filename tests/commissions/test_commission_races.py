"""Operators acting at the same moment: one rule per scope, and a change racing a delete ends cleanly."""
from __future__ import annotations

from marketplace.commissions import services
from tests.concurrency import run_together

ROUNDS = 10


def test_racing_creates_of_one_scope_leave_one_rule(app, make_seller, sql):
    make_seller("acme")

    outcomes = run_together(app, *[lambda bp=bp: services.create_rule(None, "acme", None, bp, 0, None)
                                   for bp in range(100, 600, 100)])

    assert sorted(outcomes) == ["IntegrityError"] * 4 + ["done"]
    assert sql("SELECT count(*) FROM platform.commission_rules")[0][0] == 1
    assert sql("SELECT count(*) FROM platform.audit_log WHERE action = 'commission_rule.create'")[0][0] == 1


def test_a_change_racing_a_delete_is_applied_first_or_finds_the_rule_gone(app, sql):
    for _ in range(ROUNDS):
        with app.app_context():
            rule_id = services.create_rule(None, None, None, 1000, 0, None).id

        outcomes = run_together(app, lambda: services.change_rule(None, rule_id, {"basis_points": 900}),
                                lambda: services.delete_rule(None, rule_id))

        assert outcomes in (["done", "done"], ["CommissionRuleNotFound", "done"])
        assert sql("SELECT count(*) FROM platform.commission_rules")[0][0] == 0
