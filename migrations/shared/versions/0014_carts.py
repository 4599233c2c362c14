"""carts: guest and buyer carts and their lines

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 14:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'carts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('buyer_user_id', sa.BigInteger(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('buyer_user_id IS NOT NULL OR token_hash IS NOT NULL', name=op.f('ck_carts_cart_has_owner')),
        sa.ForeignKeyConstraint(['buyer_user_id'], ['platform.users.id'], name=op.f('fk_carts_buyer_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_carts')),
        sa.UniqueConstraint('buyer_user_id', name=op.f('uq_carts_buyer_user_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_carts_token_hash')),
        schema='platform',
    )
    op.create_table(
        'cart_lines',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('cart_id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('product_id', sa.BigInteger(), nullable=False),
        sa.Column('variant_id', sa.BigInteger(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price_amount', sa.BigInteger(), nullable=False),
        sa.Column('stock_available', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_lines_cart_line_quantity_positive')),
        sa.ForeignKeyConstraint(['cart_id'], ['platform.carts.id'], name=op.f('fk_cart_lines_cart_id_carts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_cart_lines_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_lines')),
        sa.UniqueConstraint('cart_id', 'tenant_id', 'variant_id', name='cart_lines_variant_key'),
        schema='platform',
    )
    op.create_index(op.f('ix_cart_lines_cart_id'), 'cart_lines', ['cart_id'], unique=False, schema='platform')


def downgrade() -> None:
    op.drop_index(op.f('ix_cart_lines_cart_id'), table_name='cart_lines', schema='platform')
    op.drop_table('cart_lines', schema='platform')
    op.drop_table('carts', schema='platform')
