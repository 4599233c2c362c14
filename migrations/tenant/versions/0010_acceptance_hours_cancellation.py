"""each seller's acceptance SLA in its storefront settings; stock movements of cancelled orders

Revision ID: t0010
Revises: t0009
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0010"
down_revision = "t0009"
branch_labels = None
depends_on = None

OLD_REASONS = ("receipt", "adjustment", "sale", "return", "reservation", "reservation_release")
NEW_REASONS = OLD_REASONS + ("cancellation",)


def _reasons_check(reasons: tuple[str, ...]) -> None:
    op.drop_constraint("ck_stock_movements_stock_reason", "stock_movements", type_="check")
    op.create_check_constraint("ck_stock_movements_stock_reason", "stock_movements",
                               "reason IN (" + ", ".join(f"'{reason}'" for reason in reasons) + ")")


def upgrade() -> None:
    # Null: the operator's default (ORDER_ACCEPTANCE_HOURS).
    op.add_column("storefront_settings", sa.Column("acceptance_hours", sa.Integer(), nullable=True))
    _reasons_check(NEW_REASONS)


def downgrade() -> None:
    op.execute("UPDATE stock_movements SET reason = 'return' WHERE reason = 'cancellation'")
    _reasons_check(OLD_REASONS)
    op.drop_column("storefront_settings", "acceptance_hours")
