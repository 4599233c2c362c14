"""refunds: each a record of its own (amount, lines, reason, gateway state) for one seller's part of an order

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'refunds',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('seller_order_id', sa.BigInteger(), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('gateway_refund_id', sa.String(length=255), nullable=True),
        sa.Column('failure_reason', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_refunds_refund_amount_positive')),
        sa.CheckConstraint("status IN ('pending', 'requires_action', 'succeeded', 'failed', 'canceled')",
                           name=op.f('ck_refunds_refund_status')),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_refunds_order_id_marketplace_orders'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_refunds_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
        sa.UniqueConstraint('order_id', 'tenant_id', 'idempotency_key', name='refunds_key'),
        sa.UniqueConstraint('gateway_refund_id', name=op.f('uq_refunds_gateway_refund_id')),
        schema='platform',
    )
    op.create_index(op.f('ix_refunds_tenant_id'), 'refunds', ['tenant_id'], schema='platform')


def downgrade() -> None:
    op.drop_table('refunds', schema='platform')
