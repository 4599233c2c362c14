"""the seller order event a buyer's view of a seller part shows

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('marketplace_order_sellers', sa.Column('status_event_id', sa.BigInteger(),
                                                         server_default=sa.text('0'), nullable=False),
                  schema='platform')


def downgrade() -> None:
    op.drop_column('marketplace_order_sellers', 'status_event_id', schema='platform')
