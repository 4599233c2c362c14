"""indexes of buyer searches: non-active sellers, newest-first documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:45:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

VISIBLE = sa.text('published AND seller_active')


def upgrade() -> None:
    op.create_index('ix_tenants_not_active', 'tenants', ['id'], unique=False, schema='platform',
                    postgresql_where=sa.text("status <> 'active'"))
    # Was ascending: the newest-first sort (DESC NULLS LAST) could not read it and sorted every match.
    op.drop_index('ix_search_documents_visible_newest', table_name='search_documents', schema='platform')
    op.create_index('ix_search_documents_visible_newest', 'search_documents',
                    [sa.text('published_at DESC NULLS LAST'), sa.text('tenant_id DESC'), sa.text('product_id DESC')],
                    unique=False, schema='platform', postgresql_where=VISIBLE)


def downgrade() -> None:
    op.drop_index('ix_search_documents_visible_newest', table_name='search_documents', schema='platform')
    op.create_index('ix_search_documents_visible_newest', 'search_documents',
                    ['published_at', 'tenant_id', 'product_id'], unique=False, schema='platform',
                    postgresql_where=VISIBLE)
    op.drop_index('ix_tenants_not_active', table_name='tenants', schema='platform')
