"""stripe connect: the test gateway's connected accounts, transfers, reversals, payouts, disputes and balance
transactions; the connected account a gateway event happened on

Revision ID: 0020
Revises: 0018
Create Date: 2026-11-30 17:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('gateway_events', sa.Column('account', sa.String(length=255), nullable=True), schema='platform')
    op.create_table(
        'test_gateway_accounts',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('capabilities', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('charges_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('payouts_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('details_submitted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_accounts')),
        schema='platform',
    )
    op.create_table(
        'test_gateway_transfers',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('destination', sa.String(length=64), nullable=False),
        sa.Column('source_payment_intent_id', sa.String(length=64), nullable=False),
        sa.Column('transfer_group', sa.String(length=200), nullable=True),
        sa.Column('amount_reversed', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['destination'], ['platform.test_gateway_accounts.id'],
                                name='fk_test_gateway_transfers_destination', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['source_payment_intent_id'], ['platform.test_gateway_payment_intents.id'],
                                name='fk_test_gateway_transfers_source', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_transfers')),
        schema='platform',
    )
    op.create_index(op.f('ix_test_gateway_transfers_destination'), 'test_gateway_transfers', ['destination'],
                    unique=False, schema='platform')
    op.create_index(op.f('ix_test_gateway_transfers_source_payment_intent_id'), 'test_gateway_transfers',
                    ['source_payment_intent_id'], unique=False, schema='platform')
    op.create_table(
        'test_gateway_transfer_reversals',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('transfer_id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['transfer_id'], ['platform.test_gateway_transfers.id'],
                                name='fk_test_gateway_reversals_transfer', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_transfer_reversals')),
        schema='platform',
    )
    op.create_index(op.f('ix_test_gateway_transfer_reversals_transfer_id'), 'test_gateway_transfer_reversals',
                    ['transfer_id'], unique=False, schema='platform')
    op.create_table(
        'test_gateway_payouts',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('failure_code', sa.String(length=60), nullable=True),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['platform.test_gateway_accounts.id'],
                                name='fk_test_gateway_payouts_account', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_payouts')),
        schema='platform',
    )
    op.create_index(op.f('ix_test_gateway_payouts_account_id'), 'test_gateway_payouts', ['account_id'],
                    unique=False, schema='platform')
    op.create_table(
        'test_gateway_disputes',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('payment_intent_id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('reason', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['payment_intent_id'], ['platform.test_gateway_payment_intents.id'],
                                name='fk_test_gateway_disputes_intent', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_disputes')),
        schema='platform',
    )
    op.create_index(op.f('ix_test_gateway_disputes_payment_intent_id'), 'test_gateway_disputes',
                    ['payment_intent_id'], unique=False, schema='platform')
    op.create_table(
        'test_gateway_balance_transactions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('fee', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_balance_transactions')),
        schema='platform',
    )
    op.create_index('ix_test_gateway_balance_transactions_created', 'test_gateway_balance_transactions',
                    ['created_at', 'id'], unique=False, schema='platform')


def downgrade() -> None:
    op.drop_index('ix_test_gateway_balance_transactions_created', table_name='test_gateway_balance_transactions',
                  schema='platform')
    op.drop_table('test_gateway_balance_transactions', schema='platform')
    op.drop_index(op.f('ix_test_gateway_disputes_payment_intent_id'), table_name='test_gateway_disputes',
                  schema='platform')
    op.drop_table('test_gateway_disputes', schema='platform')
    op.drop_index(op.f('ix_test_gateway_payouts_account_id'), table_name='test_gateway_payouts', schema='platform')
    op.drop_table('test_gateway_payouts', schema='platform')
    op.drop_index(op.f('ix_test_gateway_transfer_reversals_transfer_id'), table_name='test_gateway_transfer_reversals',
                  schema='platform')
    op.drop_table('test_gateway_transfer_reversals', schema='platform')
    op.drop_index(op.f('ix_test_gateway_transfers_source_payment_intent_id'), table_name='test_gateway_transfers',
                  schema='platform')
    op.drop_index(op.f('ix_test_gateway_transfers_destination'), table_name='test_gateway_transfers',
                  schema='platform')
    op.drop_table('test_gateway_transfers', schema='platform')
    op.drop_table('test_gateway_accounts', schema='platform')
    op.drop_column('gateway_events', 'account', schema='platform')
