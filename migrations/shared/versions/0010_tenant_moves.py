"""tenant moves: the state of each move of a tenant's schema to another shard

One row per move, recording its last completed step so that a move cut
short resumes; at most one running move per tenant.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 11:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
# Until the per-shard outbox revision 0009 lands; the lead re-chains this on "0009" at merge.
down_revision = '0009'
branch_labels = None
depends_on = None

STEPS = ('requested', 'capture_installed', 'copied', 'caught_up', 'frozen', 'delta_applied', 'drained', 'verified',
         'flipped', 'source_dropped')


def upgrade() -> None:
    op.create_table(
        'tenant_moves',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('source_shard', sa.String(length=40), nullable=False),
        sa.Column('target_shard', sa.String(length=40), nullable=False),
        sa.Column('status', sa.Enum('running', 'done', 'rolled_back', name='tenant_move_status', native_enum=False,
                                    create_constraint=True, length=20), server_default='running', nullable=False),
        sa.Column('step', sa.Enum(*STEPS, name='tenant_move_step', native_enum=False, create_constraint=True,
                                  length=20), server_default='requested', nullable=False),
        sa.Column('requested_by_user_id', sa.BigInteger(), nullable=True),
        sa.Column('changes_applied', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('flipped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['platform.users.id'],
                                name=op.f('fk_tenant_moves_requested_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['platform.tenants.id'],
                                name=op.f('fk_tenant_moves_tenant_id_tenants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_moves')),
        schema='platform',
    )
    op.create_index(op.f('ix_tenant_moves_tenant_id'), 'tenant_moves', ['tenant_id'], unique=False, schema='platform')
    op.create_index('uq_tenant_moves_running_tenant_id', 'tenant_moves', ['tenant_id'], unique=True,
                    schema='platform', postgresql_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index('uq_tenant_moves_running_tenant_id', table_name='tenant_moves', schema='platform')
    op.drop_index(op.f('ix_tenant_moves_tenant_id'), table_name='tenant_moves', schema='platform')
    op.drop_table('tenant_moves', schema='platform')
