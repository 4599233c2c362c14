"""plans, plan_subscriptions, plan_invoices: SaaS plans, the plan of each seller, its monthly invoices

A default plan (no fee, no commission override, no product limit) is created
and every existing seller is put on it.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plans',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('monthly_fee_amount', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('commission_basis_points', sa.Integer(), nullable=True),
        sa.Column('product_limit', sa.Integer(), nullable=True),
        sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('monthly_fee_amount >= 0', name=op.f('ck_plans_monthly_fee_not_negative')),
        sa.CheckConstraint('(monthly_fee_amount = 0) = (currency IS NULL)',
                           name=op.f('ck_plans_monthly_fee_has_currency')),
        sa.CheckConstraint('commission_basis_points BETWEEN 0 AND 10000',
                           name=op.f('ck_plans_commission_basis_points_range')),
        sa.CheckConstraint('product_limit >= 0', name=op.f('ck_plans_product_limit_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
        sa.UniqueConstraint('name', name='uq_plans_name'),
        schema='platform',
    )
    op.create_index('uq_plans_default', 'plans', ['is_default'], unique=True, schema='platform',
                    postgresql_where=sa.text('is_default'))
    op.create_table(
        'plan_subscriptions',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('plan_id', sa.BigInteger(), nullable=False),
        sa.Column('next_plan_id', sa.BigInteger(), nullable=True),
        sa.Column('next_plan_from', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('(next_plan_id IS NULL) = (next_plan_from IS NULL)',
                           name=op.f('ck_plan_subscriptions_next_plan_has_start')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], ondelete='CASCADE',
                                name=op.f('fk_plan_subscriptions_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['plan_id'], ['platform.plans.id'], name=op.f('fk_plan_subscriptions_plan_id_plans')),
        sa.ForeignKeyConstraint(['next_plan_id'], ['platform.plans.id'],
                                name=op.f('fk_plan_subscriptions_next_plan_id_plans')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_plan_subscriptions')),
        schema='platform',
    )
    op.create_index(op.f('ix_plan_subscriptions_plan_id'), 'plan_subscriptions', ['plan_id'], schema='platform')
    op.create_index(op.f('ix_plan_subscriptions_next_plan_id'), 'plan_subscriptions', ['next_plan_id'],
                    schema='platform')
    op.create_table(
        'plan_invoices',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('plan_id', sa.BigInteger(), nullable=False),
        sa.Column('plan_name', sa.String(length=80), nullable=False),
        sa.Column('fee_amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('owed_amount', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('fee_amount > 0', name=op.f('ck_plan_invoices_fee_positive')),
        sa.CheckConstraint('owed_amount BETWEEN 0 AND fee_amount', name=op.f('ck_plan_invoices_owed_within_fee')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_plan_invoices_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['plan_id'], ['platform.plans.id'], name=op.f('fk_plan_invoices_plan_id_plans')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_invoices')),
        sa.UniqueConstraint('tenant_id', 'period_start', name='uq_plan_invoices_tenant_id_period_start'),
        schema='platform',
    )
    op.create_index(op.f('ix_plan_invoices_plan_id'), 'plan_invoices', ['plan_id'], schema='platform')
    op.execute("INSERT INTO platform.plans (name, is_default) VALUES ('Default', true)")
    op.execute("INSERT INTO platform.plan_subscriptions (tenant_id, plan_id)"
               " SELECT tenants.id, plans.id FROM platform.tenants, platform.plans WHERE plans.is_default")


def downgrade() -> None:
    op.drop_table('plan_invoices', schema='platform')
    op.drop_table('plan_subscriptions', schema='platform')
    op.drop_table('plans', schema='platform')
