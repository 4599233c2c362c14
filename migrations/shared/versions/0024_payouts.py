"""payouts: schedules, runs and their per-seller results, reconciliation reports; ledger gateway_source

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ledger_transactions', sa.Column('gateway_source', sa.String(length=255), nullable=True),
                  schema='platform')
    op.create_index(op.f('ix_ledger_transactions_gateway_source'), 'ledger_transactions', ['gateway_source'],
                    schema='platform')
    op.create_table(
        'payout_schedules',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('frequency', sa.Enum('daily', 'weekly', 'manual', name='payout_frequency', native_enum=False,
                                       create_constraint=True, length=20), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=True),
        sa.Column('minimum_amount', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("(weekday IS NOT NULL) = (frequency = 'weekly')",
                           name=op.f('ck_payout_schedules_weekday_only_when_weekly')),
        sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_payout_schedules_weekday_in_week')),
        sa.CheckConstraint('minimum_amount >= 0', name=op.f('ck_payout_schedules_minimum_amount_not_negative')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_payout_schedules_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_payout_schedules')),
        schema='platform',
    )
    op.create_table(
        'payout_runs',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('trigger', sa.Enum('scheduled', 'operator', name='payout_run_trigger', native_enum=False,
                                     create_constraint=True, length=20), nullable=False),
        sa.Column('run_on', sa.Date(), nullable=False),
        sa.Column('started_by', sa.BigInteger(), nullable=True),
        sa.Column('status', sa.Enum('queued', 'finished', name='payout_run_status', native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['started_by'], ['platform.users.id'], name=op.f('fk_payout_runs_started_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs')),
        schema='platform',
    )
    op.create_index('uq_payout_runs_scheduled_run_on', 'payout_runs', ['run_on'], unique=True, schema='platform',
                    postgresql_where=sa.text("trigger = 'scheduled'"))
    op.create_table(
        'payout_run_results',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('run_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('available_amount', sa.BigInteger(), nullable=False),
        sa.Column('outcome', sa.Enum('paid', 'skipped', 'failed', name='payout_outcome', native_enum=False,
                                     create_constraint=True, length=20), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('gateway_payout_id', sa.String(length=255), nullable=True),
        sa.Column('payout_status', sa.Enum('pending', 'paid', 'failed', name='payout_status', native_enum=False,
                                           create_constraint=True, length=20), nullable=True),
        sa.Column('failure_code', sa.String(length=100), nullable=True),
        sa.Column('ledger_transaction_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("(outcome = 'paid') = (gateway_payout_id IS NOT NULL)",
                           name=op.f('ck_payout_run_results_paid_names_its_payout')),
        sa.ForeignKeyConstraint(['run_id'], ['platform.payout_runs.id'],
                                name=op.f('fk_payout_run_results_run_id_payout_runs')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_payout_run_results_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['ledger_transaction_id'], ['platform.ledger_transactions.id'],
                                name=op.f('fk_payout_run_results_ledger_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_run_results')),
        sa.UniqueConstraint('gateway_payout_id', name=op.f('uq_payout_run_results_gateway_payout_id')),
        sa.UniqueConstraint('run_id', 'tenant_id', 'currency',
                            name=op.f('uq_payout_run_results_run_id_tenant_id_currency')),
        schema='platform',
    )
    op.create_index(op.f('ix_payout_run_results_run_id'), 'payout_run_results', ['run_id'], schema='platform')
    op.create_index(op.f('ix_payout_run_results_tenant_id'), 'payout_run_results', ['tenant_id'], schema='platform')
    op.create_table(
        'reconciliation_reports',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('matched_count', sa.Integer(), nullable=False),
        sa.Column('difference_count', sa.Integer(), nullable=False),
        sa.Column('differences', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_reports')),
        schema='platform',
    )
    op.create_index(op.f('ix_reconciliation_reports_created_at'), 'reconciliation_reports', ['created_at'],
                    schema='platform')


def downgrade() -> None:
    op.drop_table('reconciliation_reports', schema='platform')
    op.drop_table('payout_run_results', schema='platform')
    op.drop_table('payout_runs', schema='platform')
    op.drop_table('payout_schedules', schema='platform')
    op.drop_index(op.f('ix_ledger_transactions_gateway_source'), 'ledger_transactions', schema='platform')
    op.drop_column('ledger_transactions', 'gateway_source', schema='platform')
