"""indexes of buyer searches: the facets' columns of visible documents, cheapest first

The facets count every visible document a broad search matches: read from
a narrow covering index (an index-only scan, about a fifth of the table's
pages) instead of the documents' rows with their text and vectors. The
cheapest-first sort of a broad search reads its page from an index instead
of sorting every match.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

VISIBLE = sa.text('published AND seller_active')
FACET_COLUMNS = ['seller_slug', 'seller_name', 'category_path_ids', 'attributes', 'min_price_amount', 'in_stock',
                 'currency', 'rating']


def upgrade() -> None:
    op.create_index('ix_search_documents_visible_facets', 'search_documents', ['tenant_id'], unique=False,
                    schema='platform', postgresql_include=FACET_COLUMNS, postgresql_where=VISIBLE)
    op.create_index('ix_search_documents_visible_cheapest', 'search_documents',
                    ['min_price_amount', 'tenant_id', 'product_id'], unique=False, schema='platform',
                    postgresql_where=VISIBLE)


def downgrade() -> None:
    op.drop_index('ix_search_documents_visible_cheapest', table_name='search_documents', schema='platform')
    op.drop_index('ix_search_documents_visible_facets', table_name='search_documents', schema='platform')
