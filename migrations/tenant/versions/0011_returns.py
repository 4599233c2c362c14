"""returns and their lines; the seller's policy of refunding shipping on a return

Revision ID: t0011
Revises: t0010
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0011"
down_revision = "t0010"
branch_labels = None
depends_on = None

RETURN_STATUSES = ("requested", "approved", "rejected", "received", "refunded")


def upgrade() -> None:
    op.add_column("fulfilment_settings", sa.Column("refund_shipping_on_return", sa.Boolean(),
                                                   server_default=sa.text("false"), nullable=False))
    op.create_table(
        "returns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decision_reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_goods_amount", sa.BigInteger(), nullable=True),
        sa.Column("refund_shipping_amount", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{status}'" for status in RETURN_STATUSES) + ")",
                           name=op.f("ck_returns_return_status")),
        sa.ForeignKeyConstraint(["seller_order_id"], ["seller_orders.id"],
                                name=op.f("fk_returns_seller_order_id_seller_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index(op.f("ix_returns_seller_order_id"), "returns", ["seller_order_id"])
    op.create_index("ix_returns_status_id", "returns", ["status", "id"])
    op.create_table(
        "return_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("resellable", sa.Boolean(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_return_line_quantity_positive")),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"],
                                name=op.f("fk_return_lines_return_id_returns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_order_line_id"], ["seller_order_lines.id"],
                                name=op.f("fk_return_lines_seller_order_line_id_seller_order_lines"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    op.create_index(op.f("ix_return_lines_return_id"), "return_lines", ["return_id"])
    op.create_index(op.f("ix_return_lines_seller_order_line_id"), "return_lines", ["seller_order_line_id"])


def downgrade() -> None:
    op.drop_table("return_lines")
    op.drop_table("returns")
    op.drop_column("fulfilment_settings", "refund_shipping_on_return")
