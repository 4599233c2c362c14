"""indexes of the token purge: ended tokens by expiry and by revocation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:15:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_api_tokens_expires_at', 'api_tokens', ['expires_at'], unique=False, schema='platform')
    op.create_index('ix_api_tokens_revoked_at', 'api_tokens', ['revoked_at'], unique=False, schema='platform',
                    postgresql_where=sa.text('revoked_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_api_tokens_revoked_at', table_name='api_tokens', schema='platform')
    op.drop_index('ix_api_tokens_expires_at', table_name='api_tokens', schema='platform')
