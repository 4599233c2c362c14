"""shipping rates: flat or by weight bands, per destination country, free over an amount

Revision ID: t0003
Revises: t0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shipping_rates",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("weight_bands", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column("free_over_amount", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('flat', 'weight_bands')", name=op.f("ck_shipping_rates_shipping_rate_kind")),
        sa.CheckConstraint("(kind = 'flat') = (amount IS NOT NULL)",
                           name=op.f("ck_shipping_rates_amount_of_flat_rates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_rates")),
    )


def downgrade() -> None:
    op.drop_table("shipping_rates")
