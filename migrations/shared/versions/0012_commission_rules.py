"""commission rules: the marketplace's cut per seller, category, both, or by default

One rule per scope, the null scopes included (NULLS NOT DISTINCT): one
default rule, one per seller alone, one per category alone. A fixed fee
names its currency; a rule without a fee has none (billing/commission.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commission_rules',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=True),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('basis_points', sa.Integer(), nullable=False),
    sa.Column('fixed_fee_amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('basis_points BETWEEN 0 AND 10000', name=op.f('ck_commission_rules_basis_points_range')),
    sa.CheckConstraint('fixed_fee_amount >= 0', name=op.f('ck_commission_rules_fixed_fee_not_negative')),
    sa.CheckConstraint('(fixed_fee_amount = 0) = (currency IS NULL)',
                       name=op.f('ck_commission_rules_fixed_fee_has_currency')),
    sa.ForeignKeyConstraint(['category_id'], ['platform.categories.id'],
                            name=op.f('fk_commission_rules_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                            name=op.f('fk_commission_rules_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rules')),
    sa.UniqueConstraint('tenant_id', 'category_id', name='uq_commission_rules_tenant_id_category_id',
                        postgresql_nulls_not_distinct=True),
    schema='platform'
    )
    op.create_index(op.f('ix_commission_rules_category_id'), 'commission_rules', ['category_id'], unique=False,
                    schema='platform')


def downgrade():
    op.drop_index(op.f('ix_commission_rules_category_id'), table_name='commission_rules', schema='platform')
    op.drop_table('commission_rules', schema='platform')
