"""stock reservations of unpaid checkouts; seller orders and their lines

Revision ID: t0005
Revises: t0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None

SELLER_ORDER_STATUSES = ("awaiting_acceptance", "accepted", "partially_shipped", "shipped", "delivered", "completed",
                         "rejected", "cancelled")


def _timestamps() -> list[sa.Column]:
    return [sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)
            for name in ("created_at", "updated_at")]


def upgrade() -> None:
    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservations_reservation_quantity_positive")),
        sa.CheckConstraint("status IN ('held', 'sold', 'released')",
                           name=op.f("ck_stock_reservations_reservation_status")),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"], name=op.f("fk_stock_reservations_variant_id_variants"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservations")),
        sa.UniqueConstraint("order_id", "variant_id", name="stock_reservations_order_variant_key"),
    )
    op.create_index(op.f("ix_stock_reservations_variant_id"), "stock_reservations", ["variant_id"], unique=False)
    op.create_table(
        "seller_orders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("marketplace_order_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_user_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_amount", sa.BigInteger(), nullable=False),
        sa.Column("shipping_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("shipping_name", sa.String(length=120), nullable=False),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{status}'" for status in SELLER_ORDER_STATUSES) + ")",
                           name=op.f("ck_seller_orders_seller_order_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_orders")),
        sa.UniqueConstraint("marketplace_order_id", name=op.f("uq_seller_orders_marketplace_order_id")),
    )
    op.create_table(
        "seller_order_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_id", sa.BigInteger(), nullable=False),
        sa.Column("marketplace_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_amount", sa.BigInteger(), nullable=False),
        sa.Column("line_total_amount", sa.BigInteger(), nullable=False),
        sa.Column("commission_amount", sa.BigInteger(), nullable=False),
        sa.Column("commission_rule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["seller_order_id"], ["seller_orders.id"],
                                name=op.f("fk_seller_order_lines_seller_order_id_seller_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_order_lines")),
        sa.UniqueConstraint("marketplace_order_line_id", name=op.f("uq_seller_order_lines_marketplace_order_line_id")),
    )
    op.create_index(op.f("ix_seller_order_lines_seller_order_id"), "seller_order_lines", ["seller_order_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("seller_order_lines")
    op.drop_table("seller_orders")
    op.drop_table("stock_reservations")
