"""the outbox moves to each shard's own `shard` schema; listing rows carry their product's version; audit
entries sent by tenant transactions carry a key

Shard revision s0001 copied the pending rows of the old outbox. The listing
is now written by a job, from outbox messages that may arrive late or twice:
the product version it holds lets it refuse an older row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('outbox_messages', schema='platform')
    op.add_column('product_listings', sa.Column('product_version', sa.Integer(), server_default=sa.text('0'),
                                                nullable=False), schema='platform')
    op.add_column('audit_log', sa.Column('source_key', sa.String(length=32), nullable=True), schema='platform')
    op.create_unique_constraint(op.f('uq_audit_log_source_key'), 'audit_log', ['source_key'], schema='platform')


def downgrade() -> None:
    op.drop_constraint(op.f('uq_audit_log_source_key'), 'audit_log', schema='platform', type_='unique')
    op.drop_column('audit_log', 'source_key', schema='platform')
    op.drop_column('product_listings', 'product_version', schema='platform')
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('job', sa.String(length=200), nullable=False),
        sa.Column('queue', sa.String(length=40), nullable=False),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dispatch_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        schema='platform',
    )
    op.create_index('ix_outbox_messages_pending', 'outbox_messages', ['id'], unique=False, schema='platform',
                    postgresql_where=sa.text('dispatched_at IS NULL'))
    op.create_index('ix_outbox_messages_dispatched_at', 'outbox_messages', ['dispatched_at'], unique=False,
                    schema='platform', postgresql_where=sa.text('dispatched_at IS NOT NULL'))
