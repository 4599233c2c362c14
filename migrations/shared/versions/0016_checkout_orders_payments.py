"""checkout attempts, marketplace orders with their totals, seller parts and payments

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 14:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TIMESTAMPS = ('created_at', 'updated_at')


def _timestamps() -> list[sa.Column]:
    return [sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False)
            for name in TIMESTAMPS]


def upgrade() -> None:
    op.create_table(
        'checkout_attempts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('buyer_user_id', sa.BigInteger(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('seller_tenant_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column('reserve_deadline', sa.DateTime(timezone=True), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('response_body', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("status IN ('reserving', 'completed', 'failed')",
                           name=op.f('ck_checkout_attempts_attempt_status')),
        sa.ForeignKeyConstraint(['buyer_user_id'], ['platform.users.id'],
                                name=op.f('fk_checkout_attempts_buyer_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_attempts')),
        sa.UniqueConstraint('buyer_user_id', 'idempotency_key', name='checkout_attempts_key'),
        sa.UniqueConstraint('order_id', name=op.f('uq_checkout_attempts_order_id')),
        schema='platform',
    )
    # The recovery job's scan: attempts still reserving.
    op.create_index('ix_checkout_attempts_reserving', 'checkout_attempts', ['reserve_deadline'], schema='platform',
                    postgresql_where=sa.text("status = 'reserving'"))

    op.add_column('marketplace_orders', sa.Column('status', sa.String(length=20), server_default='awaiting_payment',
                                                  nullable=False), schema='platform')
    op.create_check_constraint('ck_marketplace_orders_order_status', 'marketplace_orders',
                               "status IN ('awaiting_payment', 'paid', 'expired')", schema='platform')
    for column in ('subtotal_amount', 'shipping_amount', 'total_amount'):
        op.add_column('marketplace_orders', sa.Column(column, sa.BigInteger(), server_default=sa.text('0'),
                                                      nullable=False), schema='platform')
    op.add_column('marketplace_orders', sa.Column('shipping_address', postgresql.JSONB(astext_type=sa.Text()),
                                                  server_default=sa.text("'{}'::jsonb"), nullable=False),
                  schema='platform')
    op.add_column('marketplace_orders', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.add_column('marketplace_orders', sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.create_check_constraint('ck_marketplace_orders_total_is_subtotal_plus_shipping', 'marketplace_orders',
                               'total_amount = subtotal_amount + shipping_amount', schema='platform')
    # The expiry job's scan: unpaid orders by deadline.
    op.create_index('ix_marketplace_orders_awaiting_payment', 'marketplace_orders', ['expires_at'],
                    schema='platform', postgresql_where=sa.text("status = 'awaiting_payment'"))

    op.add_column('marketplace_order_lines', sa.Column('options', postgresql.JSONB(astext_type=sa.Text()),
                                                       server_default=sa.text("'{}'::jsonb"), nullable=False),
                  schema='platform')
    for column in ('line_total_amount', 'commission_amount'):
        op.add_column('marketplace_order_lines', sa.Column(column, sa.BigInteger(), server_default=sa.text('0'),
                                                           nullable=False), schema='platform')
    op.add_column('marketplace_order_lines', sa.Column('commission_rule', postgresql.JSONB(astext_type=sa.Text()),
                                                       server_default=sa.text("'{}'::jsonb"), nullable=False),
                  schema='platform')

    op.create_table(
        'marketplace_order_sellers',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('seller_name', sa.String(length=200), nullable=False),
        sa.Column('shipping_rate_id', sa.BigInteger(), nullable=False),
        sa.Column('shipping_name', sa.String(length=120), nullable=False),
        sa.Column('subtotal_amount', sa.BigInteger(), nullable=False),
        sa.Column('shipping_amount', sa.BigInteger(), nullable=False),
        sa.Column('total_amount', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=30), server_default='pending', nullable=False),
        sa.Column('seller_order_id', sa.BigInteger(), nullable=True),
        sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_marketplace_order_sellers_order_id_marketplace_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_marketplace_order_sellers_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_order_sellers')),
        sa.UniqueConstraint('order_id', 'tenant_id', name='marketplace_order_sellers_seller_key'),
        schema='platform',
    )
    op.create_index(op.f('ix_marketplace_order_sellers_tenant_id'), 'marketplace_order_sellers', ['tenant_id'],
                    unique=False, schema='platform')

    op.create_table(
        'payments',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('gateway', sa.String(length=20), nullable=False),
        sa.Column('gateway_payment_id', sa.String(length=255), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=40), server_default='pending', nullable=False),
        sa.Column('client_secret', sa.String(length=255), nullable=True),
        sa.Column('last_payment_error', sa.String(length=100), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_payments_order_id_marketplace_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
        sa.UniqueConstraint('gateway_payment_id', name=op.f('uq_payments_gateway_payment_id')),
        sa.UniqueConstraint('order_id', name=op.f('uq_payments_order_id')),
        schema='platform',
    )


def downgrade() -> None:
    op.drop_table('payments', schema='platform')
    op.drop_index(op.f('ix_marketplace_order_sellers_tenant_id'), table_name='marketplace_order_sellers',
                  schema='platform')
    op.drop_table('marketplace_order_sellers', schema='platform')
    for column in ('commission_rule', 'commission_amount', 'line_total_amount', 'options'):
        op.drop_column('marketplace_order_lines', column, schema='platform')
    op.drop_index('ix_marketplace_orders_awaiting_payment', table_name='marketplace_orders', schema='platform')
    for constraint in ('ck_marketplace_orders_total_is_subtotal_plus_shipping', 'ck_marketplace_orders_order_status'):
        op.drop_constraint(constraint, 'marketplace_orders', schema='platform')
    for column in ('paid_at', 'expires_at', 'shipping_address', 'total_amount', 'shipping_amount',
                   'subtotal_amount', 'status'):
        op.drop_column('marketplace_orders', column, schema='platform')
    op.drop_index('ix_checkout_attempts_reserving', table_name='checkout_attempts', schema='platform')
    op.drop_table('checkout_attempts', schema='platform')
