"""email verification: verified addresses, mailed one-time tokens, sent mails, invites minted by their mail job

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts start unverified: nothing has proved their addresses yet.
    op.add_column('users', sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.create_table('mailed_tokens',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.Enum('verify_email', 'change_email', 'reset_password', name='mailed_token_purpose', native_enum=False, create_constraint=True, length=20, schema='platform'), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['platform.users.id'], name=op.f('fk_mailed_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mailed_tokens_token_hash')),
    schema='platform'
    )
    op.create_index(op.f('ix_mailed_tokens_user_id'), 'mailed_tokens', ['user_id'], unique=False, schema='platform')
    op.create_table('mail_deliveries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_deliveries')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_mail_deliveries_dedupe_key')),
    schema='platform'
    )
    # An invite's token is minted by the job that mails it.
    op.alter_column('member_invites', 'token_hash', existing_type=sa.String(length=64), nullable=True,
                    schema='platform')
    op.create_index('ix_outbox_messages_dispatched_at', 'outbox_messages', ['dispatched_at'], unique=False,
                    schema='platform', postgresql_where=sa.text('dispatched_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_outbox_messages_dispatched_at', table_name='outbox_messages', schema='platform')
    # Invites still waiting for their mail have no token: they cannot survive the NOT NULL.
    op.execute('DELETE FROM platform.member_invites WHERE token_hash IS NULL')
    op.alter_column('member_invites', 'token_hash', existing_type=sa.String(length=64), nullable=False,
                    schema='platform')
    op.drop_table('mail_deliveries', schema='platform')
    op.drop_index(op.f('ix_mailed_tokens_user_id'), table_name='mailed_tokens', schema='platform')
    op.drop_table('mailed_tokens', schema='platform')
    op.drop_column('users', 'email_verified_at', schema='platform')
