"""seller order events: every move of a seller order with its actor and reason; its acceptance deadline

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "t0006"
down_revision = "t0005"
branch_labels = None
depends_on = None

STATUSES = ("awaiting_acceptance", "accepted", "partially_shipped", "shipped", "delivered", "completed", "rejected",
            "cancelled")


def _one_of(column: str) -> str:
    return f"{column} IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")"


def upgrade() -> None:
    # Orders routed before this revision were due 48 hours after their payment (the default SLA).
    op.add_column("seller_orders", sa.Column("acceptance_due_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE seller_orders SET acceptance_due_at = paid_at + interval '48 hours'")
    op.alter_column("seller_orders", "acceptance_due_at", nullable=False)
    op.create_index("ix_seller_orders_status_acceptance_due_at", "seller_orders", ["status", "acceptance_due_at"])
    op.create_table(
        "seller_order_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("seller_order_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_one_of("from_status"), name=op.f("ck_seller_order_events_event_from_status")),
        sa.CheckConstraint(_one_of("to_status"), name=op.f("ck_seller_order_events_event_to_status")),
        sa.ForeignKeyConstraint(["seller_order_id"], ["seller_orders.id"],
                                name=op.f("fk_seller_order_events_seller_order_id_seller_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_order_events")),
    )
    op.create_index(op.f("ix_seller_order_events_seller_order_id"), "seller_order_events", ["seller_order_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("seller_order_events")
    op.drop_index("ix_seller_orders_status_acceptance_due_at", table_name="seller_orders")
    op.drop_column("seller_orders", "acceptance_due_at")
