"""payment gateway: the test gateway's records and the gateway events received

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 14:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'gateway_events',
        sa.Column('id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('object_type', sa.String(length=60), nullable=False),
        sa.Column('object_id', sa.String(length=255), nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_events')),
        schema='platform',
    )
    op.create_table(
        'test_gateway_payment_intents',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('transfer_group', sa.String(length=200), nullable=True),
        sa.Column('client_secret', sa.String(length=100), nullable=False),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('payment_method', sa.String(length=100), nullable=True),
        sa.Column('last_payment_error', sa.String(length=60), nullable=True),
        sa.Column('amount_received', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('amount_refunded', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_payment_intents')),
        schema='platform',
    )
    op.create_table(
        'test_gateway_refunds',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('payment_intent_id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('failure_reason', sa.String(length=60), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['payment_intent_id'], ['platform.test_gateway_payment_intents.id'],
                                name='fk_test_gateway_refunds_intent',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_refunds')),
        schema='platform',
    )
    op.create_index(op.f('ix_test_gateway_refunds_payment_intent_id'), 'test_gateway_refunds',
                    ['payment_intent_id'], unique=False, schema='platform')
    op.create_table(
        'test_gateway_idempotency_keys',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_test_gateway_idempotency_keys')),
        schema='platform',
    )
    op.create_table(
        'test_gateway_events',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_gateway_events')),
        schema='platform',
    )


def downgrade() -> None:
    op.drop_table('test_gateway_events', schema='platform')
    op.drop_table('test_gateway_idempotency_keys', schema='platform')
    op.drop_index(op.f('ix_test_gateway_refunds_payment_intent_id'), table_name='test_gateway_refunds',
                  schema='platform')
    op.drop_table('test_gateway_refunds', schema='platform')
    op.drop_table('test_gateway_payment_intents', schema='platform')
    op.drop_table('gateway_events', schema='platform')
