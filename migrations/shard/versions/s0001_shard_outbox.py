"""the shard's own outbox: tenant transactions write their follow-up work in their own database

On the control database (the shard `default`), the messages still pending in
the former `platform.outbox_messages` come along with their ids; shared
revision 0009 then drops that table.

Revision ID: s0001
Revises:
Create Date: 2026-11-30 11:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 's0001'
down_revision = None
branch_labels = None
depends_on = None

COLUMNS = 'id, job, queue, payload, tenant_id, created_at, dispatched_at, dispatch_attempts, last_error'


def upgrade() -> None:
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
        schema='shard',
    )
    op.create_index('ix_outbox_messages_pending', 'outbox_messages', ['id'], unique=False, schema='shard',
                    postgresql_where=sa.text('dispatched_at IS NULL'))
    op.create_index('ix_outbox_messages_dispatched_at', 'outbox_messages', ['dispatched_at'], unique=False,
                    schema='shard', postgresql_where=sa.text('dispatched_at IS NOT NULL'))
    if op.get_bind().execute(sa.text("SELECT to_regclass('platform.outbox_messages')")).scalar() is not None:
        op.execute(f'INSERT INTO shard.outbox_messages ({COLUMNS})'
                   f' SELECT {COLUMNS} FROM platform.outbox_messages WHERE dispatched_at IS NULL')
        op.execute("SELECT setval(pg_get_serial_sequence('shard.outbox_messages', 'id'),"
                   " (SELECT coalesce(max(id), 0) + 1 FROM platform.outbox_messages), false)")


def downgrade() -> None:
    op.drop_table('outbox_messages', schema='shard')
