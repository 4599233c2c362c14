"""search documents name their attributes object by a number; a narrower facets index

The facets grouped every matching document by its attributes JSONB object:
hashing JSON was most of a broad search's time. Each distinct object now has
a row in `search_attribute_sets` and a document carries its id, so the facets
group on an integer and expand each object once. The covering index of the
facets' pass drops the JSON and the seller's name for that id: about half as
wide, it keeps an index-only scan of every visible document cheap. An index
of the visible documents by attribute set lets a page of a narrow attribute
filter read its few documents (a bitmap ANDed with the text's or the
category's) instead of every visible one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

VISIBLE = sa.text('published AND seller_active')
OLD_FACET_COLUMNS = ['seller_slug', 'seller_name', 'category_path_ids', 'attributes', 'min_price_amount', 'in_stock',
                     'currency', 'rating']
FACET_COLUMNS = ['category_path_ids', 'min_price_amount', 'attribute_set_id', 'in_stock', 'currency', 'rating',
                 'seller_slug']
# The digest the backend writes (postgres_backend._ATTRIBUTE_SET_DIGEST): SHA-256 of the canonical JSONB text.
DIGEST = "sha256(convert_to(attributes::text, 'UTF8'))"


def upgrade() -> None:
    op.create_table('search_attribute_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.LargeBinary(), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_attribute_sets')),
    sa.UniqueConstraint('digest', name=op.f('uq_search_attribute_sets_digest')),
    schema='platform'
    )
    op.add_column('search_documents', sa.Column('attribute_set_id', sa.Integer(), nullable=True), schema='platform')
    op.execute(f"INSERT INTO platform.search_attribute_sets (digest, attributes) "
               f"SELECT DISTINCT {DIGEST}, attributes FROM platform.search_documents")
    op.execute(f"UPDATE platform.search_documents AS document SET attribute_set_id = attribute_set.id "
               f"FROM platform.search_attribute_sets AS attribute_set "
               f"WHERE attribute_set.digest = sha256(convert_to(document.attributes::text, 'UTF8'))")
    op.alter_column('search_documents', 'attribute_set_id', nullable=False, schema='platform')
    op.create_foreign_key(op.f('fk_search_documents_attribute_set_id_search_attribute_sets'), 'search_documents',
                          'search_attribute_sets', ['attribute_set_id'], ['id'], source_schema='platform',
                          referent_schema='platform')
    op.drop_index('ix_search_documents_visible_facets', table_name='search_documents', schema='platform')
    op.create_index('ix_search_documents_visible_facet_keys', 'search_documents', ['tenant_id'], unique=False,
                    schema='platform', postgresql_include=FACET_COLUMNS, postgresql_where=VISIBLE)
    op.create_index('ix_search_documents_visible_attribute_set', 'search_documents', ['attribute_set_id'],
                    unique=False, schema='platform', postgresql_where=VISIBLE)


def downgrade() -> None:
    op.drop_index('ix_search_documents_visible_attribute_set', table_name='search_documents', schema='platform')
    op.drop_index('ix_search_documents_visible_facet_keys', table_name='search_documents', schema='platform')
    op.create_index('ix_search_documents_visible_facets', 'search_documents', ['tenant_id'], unique=False,
                    schema='platform', postgresql_include=OLD_FACET_COLUMNS, postgresql_where=VISIBLE)
    op.drop_constraint(op.f('fk_search_documents_attribute_set_id_search_attribute_sets'), 'search_documents',
                       schema='platform', type_='foreignkey')
    op.drop_column('search_documents', 'attribute_set_id', schema='platform')
    op.drop_table('search_attribute_sets', schema='platform')
