"""sellers, catalog listing, categories, audit log, order lines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:10:22.129820
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('actor_user_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.String(length=80), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    schema='platform'
    )
    op.create_index(op.f('ix_audit_log_actor_user_id'), 'audit_log', ['actor_user_id'], unique=False, schema='platform')
    op.create_index('ix_audit_log_target', 'audit_log', ['target_type', 'target_id'], unique=False, schema='platform')
    op.create_index(op.f('ix_audit_log_tenant_id'), 'audit_log', ['tenant_id'], unique=False, schema='platform')
    op.create_table('categories',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_categories_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['platform.categories.id'], name=op.f('fk_categories_parent_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_categories_slug')),
    schema='platform'
    )
    op.create_index(op.f('ix_categories_parent_id'), 'categories', ['parent_id'], unique=False, schema='platform')
    op.create_table('marketplace_orders',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('buyer_user_id', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['buyer_user_id'], ['platform.users.id'], name=op.f('fk_marketplace_orders_buyer_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_orders')),
    schema='platform'
    )
    op.create_index(op.f('ix_marketplace_orders_buyer_user_id'), 'marketplace_orders', ['buyer_user_id'], unique=False, schema='platform')
    op.create_table('member_invites',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('owner', 'manager', 'staff', name='invite_role', native_enum=False, create_constraint=True, length=20, schema='platform'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_user_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['platform.users.id'], name=op.f('fk_member_invites_invited_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_member_invites_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_member_invites_token_hash')),
    schema='platform'
    )
    op.create_index(op.f('ix_member_invites_tenant_id'), 'member_invites', ['tenant_id'], unique=False, schema='platform')
    op.create_table('product_listings',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('product_slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'archived', name='listing_status', native_enum=False, create_constraint=True, length=20, schema='platform'), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('min_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('max_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('in_stock', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('image_url', sa.String(length=2000), nullable=True),
    sa.Column('rating_total', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('rating_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_product_listings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'product_id', name=op.f('pk_product_listings')),
    sa.UniqueConstraint('tenant_id', 'product_slug', name=op.f('uq_product_listings_tenant_id_product_slug')),
    schema='platform'
    )
    op.create_index('ix_product_listings_category', 'product_listings', ['category_id'], unique=False, schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.create_index('ix_product_listings_published_newest', 'product_listings', ['published_at', 'tenant_id', 'product_id'], unique=False, schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.create_index('ix_product_listings_published_price', 'product_listings', ['min_price_amount', 'tenant_id', 'product_id'], unique=False, schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.create_table('seller_applications',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('applicant_user_id', sa.BigInteger(), nullable=False),
    sa.Column('shop_name', sa.String(length=120), nullable=False),
    sa.Column('wanted_slug', sa.String(length=40), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='application_status', native_enum=False, create_constraint=True, length=20, schema='platform'), server_default='pending', nullable=False),
    sa.Column('decided_by_user_id', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['applicant_user_id'], ['platform.users.id'], name=op.f('fk_seller_applications_applicant_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['platform.users.id'], name=op.f('fk_seller_applications_decided_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_seller_applications_tenant_id_tenants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_applications')),
    schema='platform'
    )
    op.create_index(op.f('ix_seller_applications_applicant_user_id'), 'seller_applications', ['applicant_user_id'], unique=False, schema='platform')
    op.create_index('uq_seller_applications_pending_slug', 'seller_applications', ['wanted_slug'], unique=True, schema='platform', postgresql_where=sa.text("status = 'pending'"))
    op.create_table('tenant_exports',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('requested_by_user_id', sa.BigInteger(), nullable=True),
    sa.Column('path', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['platform.users.id'], name=op.f('fk_tenant_exports_requested_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_tenant_exports_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_exports')),
    schema='platform'
    )
    op.create_index(op.f('ix_tenant_exports_tenant_id'), 'tenant_exports', ['tenant_id'], unique=False, schema='platform')
    op.create_table('marketplace_order_lines',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['platform.marketplace_orders.id'], name=op.f('fk_marketplace_order_lines_order_id_marketplace_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_marketplace_order_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_order_lines')),
    schema='platform'
    )
    op.create_index(op.f('ix_marketplace_order_lines_order_id'), 'marketplace_order_lines', ['order_id'], unique=False, schema='platform')
    op.create_index(op.f('ix_marketplace_order_lines_tenant_id'), 'marketplace_order_lines', ['tenant_id'], unique=False, schema='platform')
    op.add_column('tenants', sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False), schema='platform')
    op.add_column('tenants', sa.Column('country', sa.String(length=2), nullable=True), schema='platform')


def downgrade() -> None:
    op.drop_column('tenants', 'country', schema='platform')
    op.drop_column('tenants', 'currency', schema='platform')
    op.drop_index(op.f('ix_tenant_exports_tenant_id'), table_name='tenant_exports', schema='platform')
    op.drop_table('tenant_exports', schema='platform')
    op.drop_index(op.f('ix_marketplace_order_lines_tenant_id'), table_name='marketplace_order_lines', schema='platform')
    op.drop_index(op.f('ix_marketplace_order_lines_order_id'), table_name='marketplace_order_lines', schema='platform')
    op.drop_table('marketplace_order_lines', schema='platform')
    op.drop_index('uq_seller_applications_pending_slug', table_name='seller_applications', schema='platform', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_seller_applications_applicant_user_id'), table_name='seller_applications', schema='platform')
    op.drop_table('seller_applications', schema='platform')
    op.drop_index('ix_product_listings_published_price', table_name='product_listings', schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.drop_index('ix_product_listings_published_newest', table_name='product_listings', schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.drop_index('ix_product_listings_category', table_name='product_listings', schema='platform', postgresql_where=sa.text("status = 'published'"))
    op.drop_table('product_listings', schema='platform')
    op.drop_index(op.f('ix_member_invites_tenant_id'), table_name='member_invites', schema='platform')
    op.drop_table('member_invites', schema='platform')
    op.drop_index(op.f('ix_marketplace_orders_buyer_user_id'), table_name='marketplace_orders', schema='platform')
    op.drop_table('marketplace_orders', schema='platform')
    op.drop_index(op.f('ix_categories_parent_id'), table_name='categories', schema='platform')
    op.drop_table('categories', schema='platform')
    op.drop_index(op.f('ix_audit_log_tenant_id'), table_name='audit_log', schema='platform')
    op.drop_index('ix_audit_log_target', table_name='audit_log', schema='platform')
    op.drop_index(op.f('ix_audit_log_actor_user_id'), table_name='audit_log', schema='platform')
    op.drop_table('audit_log', schema='platform')
