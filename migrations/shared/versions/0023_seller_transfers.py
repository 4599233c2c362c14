"""seller transfers: each (order, seller) transfer, recoveries of transferred shares, disputes that freeze an
order's transfers, and when a seller's part was delivered

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('marketplace_order_sellers', sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.create_table(
        'seller_transfers',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('netted_amount', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
        sa.Column('status', sa.Enum('pending', 'transferred', 'nothing_owed', name='seller_transfer_status',
                                    native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('gateway_transfer_id', sa.String(length=255), nullable=True),
        sa.Column('amount_reversed', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_seller_transfers_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_transfers')),
        sa.UniqueConstraint('order_id', 'tenant_id', name='seller_transfers_order_seller_key'),
        schema='platform',
    )
    op.create_index(op.f('ix_seller_transfers_order_id'), 'seller_transfers', ['order_id'], schema='platform')
    op.create_index(op.f('ix_seller_transfers_tenant_id'), 'seller_transfers', ['tenant_id'], schema='platform')
    op.create_table(
        'transfer_recoveries',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('reverse_amount', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.Enum('pending', 'reversed', 'receivable', name='transfer_recovery_status',
                                    native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('gateway_reversal_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_transfer_recoveries_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_transfer_recoveries')),
        schema='platform',
    )
    op.create_index(op.f('ix_transfer_recoveries_order_id'), 'transfer_recoveries', ['order_id'], schema='platform')
    op.create_table(
        'order_disputes',
        sa.Column('id', sa.String(length=255), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_disputes')),
        schema='platform',
    )
    op.create_index(op.f('ix_order_disputes_order_id'), 'order_disputes', ['order_id'], schema='platform')


def downgrade() -> None:
    op.drop_table('order_disputes', schema='platform')
    op.drop_table('transfer_recoveries', schema='platform')
    op.drop_table('seller_transfers', schema='platform')
    op.drop_column('marketplace_order_sellers', 'delivered_at', schema='platform')
