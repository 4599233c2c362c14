"""shipments, their lines and tracking events; fulfilment settings (return window, carrier webhook secret)

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0009"
down_revision = "t0008"
branch_labels = None
depends_on = None

TRACKING_STATUSES = ("shipped", "in_transit", "out_for_delivery", "delivered", "exception")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_id", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(length=60), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("shipped_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_one_of("status", TRACKING_STATUSES), name=op.f("ck_shipments_shipment_status")),
        sa.ForeignKeyConstraint(["seller_order_id"], ["seller_orders.id"],
                                name=op.f("fk_shipments_seller_order_id_seller_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index(op.f("ix_shipments_seller_order_id"), "shipments", ["seller_order_id"])
    op.create_index(op.f("ix_shipments_tracking_number"), "shipments", ["tracking_number"])
    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_shipment_line_quantity_positive")),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"],
                                name=op.f("fk_shipment_lines_shipment_id_shipments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_order_line_id"], ["seller_order_lines.id"],
                                name=op.f("fk_shipment_lines_seller_order_line_id_seller_order_lines"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
    )
    op.create_index(op.f("ix_shipment_lines_shipment_id"), "shipment_lines", ["shipment_id"])
    op.create_index(op.f("ix_shipment_lines_seller_order_line_id"), "shipment_lines", ["seller_order_line_id"])
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_one_of("status", TRACKING_STATUSES), name=op.f("ck_tracking_events_tracking_event_status")),
        sa.CheckConstraint(_one_of("source", ("seller", "carrier")),
                           name=op.f("ck_tracking_events_tracking_event_source")),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"],
                                name=op.f("fk_tracking_events_shipment_id_shipments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("external_id", name=op.f("uq_tracking_events_external_id")),
    )
    op.create_index(op.f("ix_tracking_events_shipment_id"), "tracking_events", ["shipment_id"])
    op.create_table(
        "fulfilment_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("return_window_days", sa.Integer(), nullable=True),
        sa.Column("carrier_webhook_secret", sa.String(length=100), nullable=True),
        sa.Column("carrier_webhook_secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_fulfilment_settings_single_row")),
        sa.CheckConstraint("return_window_days >= 0",
                           name=op.f("ck_fulfilment_settings_return_window_days_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_settings")),
    )


def downgrade() -> None:
    op.drop_table("fulfilment_settings")
    op.drop_table("tracking_events")
    op.drop_table("shipment_lines")
    op.drop_table("shipments")
