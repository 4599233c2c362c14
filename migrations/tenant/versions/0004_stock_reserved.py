"""stock reserved by unpaid checkouts, beside stock on hand

Revision ID: t0004
Revises: t0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("variants", sa.Column("stock_reserved", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.create_check_constraint("ck_variants_reserved_within_on_hand", "variants",
                               "stock_reserved >= 0 AND stock_reserved <= stock_on_hand")


def downgrade() -> None:
    op.drop_constraint("ck_variants_reserved_within_on_hand", "variants", type_="check")
    op.drop_column("variants", "stock_reserved")
