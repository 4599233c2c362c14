"""search documents of the PostgreSQL search backend

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('product_slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('category_path_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('category_path_names', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('min_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('max_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('in_stock', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('seller_slug', sa.String(length=40), nullable=False),
    sa.Column('seller_name', sa.String(length=120), nullable=False),
    sa.Column('image_url', sa.String(length=2000), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('seller_active', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=False),
    sa.Column('suggest_vector', postgresql.TSVECTOR(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'], name=op.f('fk_search_documents_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'product_id', name=op.f('pk_search_documents')),
    schema='platform'
    )
    op.create_index('ix_search_documents_search_vector', 'search_documents', ['search_vector'], unique=False, schema='platform', postgresql_using='gin')
    op.create_index('ix_search_documents_suggest_vector', 'search_documents', ['suggest_vector'], unique=False, schema='platform', postgresql_using='gin')
    op.create_index('ix_search_documents_category_path_ids', 'search_documents', ['category_path_ids'], unique=False, schema='platform', postgresql_using='gin')
    op.create_index('ix_search_documents_visible_newest', 'search_documents', ['published_at', 'tenant_id', 'product_id'], unique=False, schema='platform', postgresql_where=sa.text('published AND seller_active'))


def downgrade() -> None:
    op.drop_index('ix_search_documents_visible_newest', table_name='search_documents', schema='platform', postgresql_where=sa.text('published AND seller_active'))
    op.drop_index('ix_search_documents_category_path_ids', table_name='search_documents', schema='platform', postgresql_using='gin')
    op.drop_index('ix_search_documents_suggest_vector', table_name='search_documents', schema='platform', postgresql_using='gin')
    op.drop_index('ix_search_documents_search_vector', table_name='search_documents', schema='platform', postgresql_using='gin')
    op.drop_table('search_documents', schema='platform')
