"""buyers' address books: addresses, one default at most per user

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:50:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
# Another branch adds 0012 in parallel; the merge re-chains this revision after it.
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'addresses',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('line1', sa.String(length=200), nullable=False),
        sa.Column('line2', sa.String(length=200), server_default='', nullable=False),
        sa.Column('city', sa.String(length=120), nullable=False),
        sa.Column('region', sa.String(length=120), server_default='', nullable=False),
        sa.Column('postal_code', sa.String(length=20), server_default='', nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['platform.users.id'], name=op.f('fk_addresses_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses')),
        schema='platform',
    )
    op.create_index(op.f('ix_addresses_user_id'), 'addresses', ['user_id'], unique=False, schema='platform')
    op.create_index('uq_addresses_default_user_id', 'addresses', ['user_id'], unique=True, schema='platform',
                    postgresql_where=sa.text('is_default'))


def downgrade() -> None:
    op.drop_index('uq_addresses_default_user_id', table_name='addresses', schema='platform')
    op.drop_index(op.f('ix_addresses_user_id'), table_name='addresses', schema='platform')
    op.drop_table('addresses', schema='platform')
