"""seller order desk: indexes for its sorts and its buyer-name search

Revision ID: t0008
Revises: t0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0008"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_seller_orders_paid_at_id", "seller_orders", ["paid_at", "id"])
    op.create_index("ix_seller_orders_status_paid_at_id", "seller_orders", ["status", "paid_at", "id"])
    op.create_index("ix_seller_orders_acceptance_due_at_id", "seller_orders", ["acceptance_due_at", "id"])
    op.create_index("ix_seller_orders_total_amount_id", "seller_orders", ["total_amount", "id"])
    op.create_index("ix_seller_orders_buyer_name_prefix", "seller_orders",
                    [sa.text("lower(buyer_name) text_pattern_ops")], postgresql_include=["buyer_name"])


def downgrade() -> None:
    for name in ("ix_seller_orders_buyer_name_prefix", "ix_seller_orders_total_amount_id",
                 "ix_seller_orders_acceptance_due_at_id", "ix_seller_orders_status_paid_at_id",
                 "ix_seller_orders_paid_at_id"):
        op.drop_index(name, table_name="seller_orders")
