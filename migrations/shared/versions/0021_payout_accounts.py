"""payout_accounts: each seller's connected account at the payment processor, and whether it may be paid

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 17:45:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payout_accounts',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('gateway_account_id', sa.String(length=255), nullable=False),
        sa.Column('charges_enabled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('payouts_enabled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('details_submitted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('requirements_due', postgresql.ARRAY(sa.String(length=200)), server_default=sa.text("'{}'"),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_payout_accounts_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_payout_accounts')),
        sa.UniqueConstraint('gateway_account_id', name=op.f('uq_payout_accounts_gateway_account_id')),
        schema='platform',
    )


def downgrade() -> None:
    op.drop_table('payout_accounts', schema='platform')
