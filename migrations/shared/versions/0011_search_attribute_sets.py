"""search documents name their attributes object by a number; a narrower facets index; facet counts per seller

The facets grouped every matching document by its attributes JSONB object:
hashing JSON was most of a broad search's time. Each distinct object now has
a row in `search_attribute_sets` and a document carries its id, so the facets
group on an integer and expand each object once. The covering index of the
facets' pass drops the JSON and the seller's name for that id: about half as
wide, it keeps an index-only scan of every visible document cheap. An index
of the visible documents by attribute set lets a page of a narrow attribute
filter read its few documents (a bitmap ANDed with the text's or the
category's) instead of every visible one; it carries the facets' columns,
so that the facets of two attribute filters read only the sets they count.

`search_facet_counts` holds each seller's documents counted by facet value,
stock and currency, kept exact by the backend on every write: a broad
search reads the facets that count over every visible document there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 11:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

VISIBLE = sa.text('published AND seller_active')
OLD_FACET_COLUMNS = ['seller_slug', 'seller_name', 'category_path_ids', 'attributes', 'min_price_amount', 'in_stock',
                     'currency', 'rating']
FACET_COLUMNS = ['category_path_ids', 'min_price_amount', 'attribute_set_id', 'in_stock', 'currency', 'rating',
                 'seller_slug']
# The counts the backend writes (postgres_facets._COUNT_FACETS), of every seller, with the price ranges of
# marketplace.search.query.PRICE_RANGE_EDGES.
COUNT_FACETS = """
    WITH visible AS MATERIALIZED (
        SELECT tenant_id, in_stock, currency, category_path_ids, attribute_set_id,
               CASE WHEN min_price_amount IS NULL THEN NULL WHEN min_price_amount < 1000 THEN 0
                    WHEN min_price_amount < 2500 THEN 1 WHEN min_price_amount < 5000 THEN 2
                    WHEN min_price_amount < 10000 THEN 3 WHEN min_price_amount < 25000 THEN 4 ELSE 5 END AS price_bucket
        FROM platform.search_documents WHERE published AND seller_active
    )
    INSERT INTO platform.search_facet_counts (tenant_id, in_stock, currency, facet, facet_key, facet_value,
                                              document_count)
    SELECT tenant_id, in_stock, currency, 'seller', tenant_id::text, '', count(*)
    FROM visible GROUP BY tenant_id, in_stock, currency
    UNION ALL
    SELECT tenant_id, in_stock, currency, 'category', category_id::text, '', count(*)
    FROM visible CROSS JOIN unnest(category_path_ids) AS category_id
    GROUP BY tenant_id, in_stock, currency, category_id
    UNION ALL
    SELECT tenant_id, in_stock, currency, 'price', price_bucket::text, '', count(*)
    FROM visible WHERE price_bucket IS NOT NULL GROUP BY tenant_id, in_stock, currency, price_bucket
    UNION ALL
    SELECT by_set.tenant_id, by_set.in_stock, by_set.currency, 'attribute', pair.key, pair.value,
           sum(by_set.documents)
    FROM (SELECT tenant_id, in_stock, currency, attribute_set_id, count(*) AS documents
          FROM visible GROUP BY tenant_id, in_stock, currency, attribute_set_id) AS by_set
    JOIN platform.search_attribute_sets AS attribute_set ON attribute_set.id = by_set.attribute_set_id
    CROSS JOIN jsonb_each_text(attribute_set.attributes) AS pair
    GROUP BY by_set.tenant_id, by_set.in_stock, by_set.currency, pair.key, pair.value
"""
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
                    unique=False, schema='platform', postgresql_where=VISIBLE,
                    postgresql_include=['tenant_id', 'category_path_ids', 'min_price_amount', 'in_stock', 'currency',
                                        'rating', 'seller_slug'])
    op.create_table('search_facet_counts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('in_stock', sa.Boolean(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('facet', sa.String(length=20), nullable=False),
    sa.Column('facet_key', sa.Text(), nullable=False),
    sa.Column('facet_value', sa.Text(), nullable=False),
    sa.Column('document_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                            name=op.f('fk_search_facet_counts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'in_stock', 'currency', 'facet', 'facet_key', 'facet_value',
                            name=op.f('pk_search_facet_counts')),
    schema='platform'
    )
    op.execute(COUNT_FACETS)


def downgrade() -> None:
    op.drop_table('search_facet_counts', schema='platform')
    op.drop_index('ix_search_documents_visible_attribute_set', table_name='search_documents', schema='platform')
    op.drop_index('ix_search_documents_visible_facet_keys', table_name='search_documents', schema='platform')
    op.create_index('ix_search_documents_visible_facets', 'search_documents', ['tenant_id'], unique=False,
                    schema='platform', postgresql_include=OLD_FACET_COLUMNS, postgresql_where=VISIBLE)
    op.drop_constraint(op.f('fk_search_documents_attribute_set_id_search_attribute_sets'), 'search_documents',
                       schema='platform', type_='foreignkey')
    op.drop_column('search_documents', 'attribute_set_id', schema='platform')
    op.drop_table('search_attribute_sets', schema='platform')
