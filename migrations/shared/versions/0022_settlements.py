"""settlements: each settled order's split per seller, each refund as posted; the test gateway's fees by charge

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seller_settlements',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('gross', sa.BigInteger(), nullable=False),
        sa.Column('commission', sa.BigInteger(), nullable=False),
        sa.Column('fee_share', sa.BigInteger(), nullable=False),
        sa.Column('net', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('ledger_transaction_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_seller_settlements_order_id_marketplace_orders')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_seller_settlements_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['ledger_transaction_id'], ['platform.ledger_transactions.id'],
                                name=op.f('fk_seller_settlements_ledger_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_settlements')),
        sa.UniqueConstraint('order_id', 'tenant_id', name='seller_settlements_order_seller_key'),
        schema='platform',
    )
    op.create_index(op.f('ix_seller_settlements_tenant_id'), 'seller_settlements', ['tenant_id'], schema='platform')
    op.create_table(
        'settled_refunds',
        sa.Column('refund_id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('commission_returned', sa.BigInteger(), nullable=False),
        sa.Column('seller_share', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('ledger_transaction_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['refund_id'], ['platform.refunds.id'],
                                name=op.f('fk_settled_refunds_refund_id_refunds')),
        sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'],
                                name=op.f('fk_settled_refunds_order_id_marketplace_orders')),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_settled_refunds_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['ledger_transaction_id'], ['platform.ledger_transactions.id'],
                                name=op.f('fk_settled_refunds_ledger_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('refund_id', name=op.f('pk_settled_refunds')),
        schema='platform',
    )
    op.create_index(op.f('ix_settled_refunds_tenant_id'), 'settled_refunds', ['tenant_id'], schema='platform')
    op.create_index('ix_test_gateway_balance_transactions_source', 'test_gateway_balance_transactions', ['source'],
                    schema='platform')


def downgrade() -> None:
    op.drop_index('ix_test_gateway_balance_transactions_source', 'test_gateway_balance_transactions',
                  schema='platform')
    op.drop_table('settled_refunds', schema='platform')
    op.drop_table('seller_settlements', schema='platform')
