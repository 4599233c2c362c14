"""ledger: accounts, transactions with a unique external id, postings; immutable and balanced by triggers

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 17:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# A frozen copy of billing/ledger_models.py's LEDGER_TRIGGER_FUNCTIONS and LEDGER_TRIGGERS at this revision.
REFUSE_CHANGE = """
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
        MESSAGE = TG_TABLE_NAME || ' rows are immutable: record a reversing transaction instead';
END
"""

CHECK_BALANCED = """
DECLARE
    checked_id bigint;
    unbalanced_currency text;
BEGIN
    IF TG_TABLE_NAME = 'ledger_transactions' THEN
        checked_id := NEW.id;
    ELSE
        checked_id := NEW.transaction_id;
    END IF;
    IF NOT EXISTS (SELECT FROM platform.ledger_postings WHERE transaction_id = checked_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced',
            MESSAGE = 'ledger transaction ' || checked_id || ' has no postings';
    END IF;
    SELECT currency INTO unbalanced_currency FROM platform.ledger_postings
        WHERE transaction_id = checked_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced',
            MESSAGE = 'ledger transaction ' || checked_id || ' does not balance in ' || unbalanced_currency;
    END IF;
    RETURN NULL;
END
"""

TRIGGERS = (
    "CREATE TRIGGER ledger_transactions_immutable BEFORE DELETE OR UPDATE ON platform.ledger_transactions"
    " FOR EACH ROW EXECUTE FUNCTION platform.ledger_refuse_change()",
    "CREATE TRIGGER ledger_postings_immutable BEFORE DELETE OR UPDATE ON platform.ledger_postings"
    " FOR EACH ROW EXECUTE FUNCTION platform.ledger_refuse_change()",
    "CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON platform.ledger_transactions"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION platform.ledger_check_balanced()",
    "CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON platform.ledger_postings"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION platform.ledger_check_balanced()",
)


def upgrade() -> None:
    op.create_table(
        'ledger_accounts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('gateway_balance', 'seller_payable', 'seller_receivable', "
                           "'connected_balance', 'commission_revenue', "
                           "'processing_fees', 'refunds', 'dispute_losses', 'plan_fees')",
                           name=op.f('ck_ledger_accounts_ledger_account_kind')),
        sa.CheckConstraint("(tenant_id IS NOT NULL) = (kind IN ('seller_payable', 'seller_receivable', "
                           "'connected_balance'))",
                           name=op.f('ck_ledger_accounts_seller_matches_kind')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_ledger_accounts_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
        sa.UniqueConstraint('id', 'currency', name=op.f('uq_ledger_accounts_id_currency')),
        sa.UniqueConstraint('kind', 'tenant_id', 'currency', name=op.f('uq_ledger_accounts_kind_tenant_id_currency'),
                            postgresql_nulls_not_distinct=True),
        schema='platform',
    )
    op.create_table(
        'ledger_transactions',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('description', sa.String(length=500), server_default='', nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=True),
        sa.Column('tenant_id', sa.BigInteger(), nullable=True),
        sa.Column('reverses_id', sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('payment', 'settlement', 'refund', 'transfer', 'reversal', 'payout', 'invoice', "
                           "'dispute', 'correction')", name=op.f('ck_ledger_transactions_ledger_transaction_kind')),
        sa.CheckConstraint("(kind = 'correction') = (reverses_id IS NOT NULL)",
                           name=op.f('ck_ledger_transactions_correction_names_what_it_reverses')),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_ledger_transactions_order_id_marketplace_orders')),
        sa.ForeignKeyConstraint(['reverses_id'], ['platform.ledger_transactions.id'],
                                name=op.f('fk_ledger_transactions_reverses_id_ledger_transactions')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_ledger_transactions_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions')),
        sa.UniqueConstraint('external_id', name=op.f('uq_ledger_transactions_external_id')),
        sa.UniqueConstraint('reverses_id', name=op.f('uq_ledger_transactions_reverses_id')),
        schema='platform',
    )
    op.create_index(op.f('ix_ledger_transactions_occurred_at'), 'ledger_transactions', ['occurred_at'],
                    schema='platform')
    op.create_index(op.f('ix_ledger_transactions_order_id'), 'ledger_transactions', ['order_id'], schema='platform')
    op.create_index(op.f('ix_ledger_transactions_tenant_id'), 'ledger_transactions', ['tenant_id'], schema='platform')
    op.create_table(
        'ledger_postings',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('transaction_id', sa.BigInteger(), nullable=False),
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.CheckConstraint('amount <> 0', name=op.f('ck_ledger_postings_posting_amount_not_zero')),
        sa.ForeignKeyConstraint(['account_id', 'currency'],
                                ['platform.ledger_accounts.id', 'platform.ledger_accounts.currency'],
                                name=op.f('fk_ledger_postings_account_id_currency_ledger_accounts')),
        sa.ForeignKeyConstraint(['transaction_id'], ['platform.ledger_transactions.id'],
                                name=op.f('fk_ledger_postings_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_postings')),
        schema='platform',
    )
    op.create_index(op.f('ix_ledger_postings_account_id'), 'ledger_postings', ['account_id'], schema='platform')
    op.create_index(op.f('ix_ledger_postings_transaction_id'), 'ledger_postings', ['transaction_id'],
                    schema='platform')
    for name, body in (("ledger_refuse_change", REFUSE_CHANGE), ("ledger_check_balanced", CHECK_BALANCED)):
        op.execute(f"CREATE FUNCTION platform.{name}() RETURNS trigger LANGUAGE plpgsql AS $function${body}$function$")
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.drop_table('ledger_postings', schema='platform')
    op.drop_table('ledger_transactions', schema='platform')
    op.drop_table('ledger_accounts', schema='platform')
    op.execute("DROP FUNCTION platform.ledger_check_balanced()")
    op.execute("DROP FUNCTION platform.ledger_refuse_change()")
